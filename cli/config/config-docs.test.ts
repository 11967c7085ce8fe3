import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTable, envExample, README_BEGIN, README_END } from './config-docs.ts';
import { envVariables } from './env-schema.ts';

const root = join(import.meta.dirname, '../..');

describe('configuration documentation', () => {
  it('.env.example lists every variable of the schema with its default', () => {
    const text = readFileSync(join(root, '.env.example'), 'utf8');
    expect(text).toBe(envExample());
    const names = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(names).toEqual(Object.keys(envVariables));
  });

  it("the README configuration table is the schema's table (run `npm run docs:config` after a change)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf(README_BEGIN) + README_BEGIN.length, readme.indexOf(README_END)).trim();
    expect(table).toBe(configTable());
  });

  it('every documented default parses to the schema default', () => {
    for (const [name, v] of Object.entries(envVariables)) {
      const parsed = v.schema.safeParse(v.default === '' ? undefined : v.default);
      expect(parsed.success, name).toBe(true);
    }
  });
});
