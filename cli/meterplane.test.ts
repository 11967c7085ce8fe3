import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, 'meterplane.ts');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });

describe('meterplane command', () => {
  it.each([
    ['DATABASE_URL', 'not-a-url'],
    ['PORT', 'abc'],
    ['LOG_LEVEL', 'shouty'],
  ])('exits 1 with one stderr line naming %s=%s', (variable, value) => {
    const r = run(['start'], { [variable]: value });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`configuration error: ${variable} is invalid`));
  });

  it('refuses production without JWT_SECRET', () => {
    const r = run(['start'], { NODE_ENV: 'production' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/JWT_SECRET is invalid: is required when NODE_ENV=production/);
  });

  it.each(['api', 'worker'])('refuses `%s` on the embedded ClickHouse with the reason', (role) => {
    const r = run([role], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`meterplane ${role} needs CLICKHOUSE_URL: the embedded ClickHouse engine binds its data directory to one process`),
    );
  });

  it('rejects an unknown command with usage', () => {
    const r = run(['launch'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: meterplane <command>/);
  });
});
