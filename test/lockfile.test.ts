import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { optionalDependencies?: Record<string, string>; optional?: boolean; os?: string[] }>;
};
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;

describe('package-lock.json', () => {
  it('records every chdb platform library, so `npm ci` accepts it (run node .ci/lock-foreign-platforms.mjs after npm install)', () => {
    const wanted = Object.keys(lock.packages['node_modules/chdb']?.optionalDependencies ?? {});
    expect(wanted.length).toBeGreaterThan(0);
    const missing = wanted.filter((name) => !lock.packages[`node_modules/${name}`]);
    expect(missing).toEqual([]);
  });

  it('pins every @temporalio package to one exact version', () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    const versions = new Set(
      Object.entries(all)
        .filter(([n]) => n.startsWith('@temporalio/'))
        .map(([, v]) => v),
    );
    expect(versions.size).toBe(1);
    expect([...versions][0]).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
