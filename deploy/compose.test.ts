import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompose } from './compose-schema.ts';

// docker-compose.yml against deploy/README.md: the services table names every service (and
// only those), long-running ones have healthchecks, one-shots are awaited with
// service_completed_successfully, and every published port is in the ports table.
// (The Compose schema check itself is deploy/scripts/validate-compose.ts, run by validate.sh.)

type Service = {
  image?: string;
  restart?: string;
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: Array<string | { published?: string | number }>;
  volumes?: Array<string | { type?: string; source?: string }>;
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const root = join(import.meta.dirname, '..');
const compose = parseCompose(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as Compose;
const readme = readFileSync(join(import.meta.dirname, 'README.md'), 'utf8');

function section(name: string): string[] {
  const m = new RegExp(`<!-- ${name}:begin -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme);
  if (!m) throw new Error(`deploy/README.md has no <!-- ${name}:begin/end --> section`);
  return m[1]!.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
}

const cells = (row: string) =>
  row
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
const unquote = (c: string) => c.replace(/^`|`$/g, '');

/** README services table: | `name` | image | long-running or one-shot | ... */
const readmeServices = new Map(
  section('compose-services')
    .slice(1)
    .map((r) => [unquote(cells(r)[0]!), cells(r)[2]!]),
);
const services = Object.entries(compose.services);
const oneShot = (s: Service) => s.restart === 'no';

describe('docker-compose.yml and deploy/README.md', () => {
  it('the README names exactly the compose services', () => {
    expect([...readmeServices.keys()].sort()).toEqual(Object.keys(compose.services).sort());
  });

  it.each([...readmeServices])('README service %s exists in docker-compose.yml', (name) => {
    expect(compose.services[name]).toBeDefined();
  });

  it.each(services)('%s: README says whether it is long-running or one-shot, as compose does', (name, s) => {
    expect(readmeServices.get(name)).toBe(oneShot(s) ? 'one-shot' : 'long-running');
  });

  it.each(services.filter(([, s]) => !oneShot(s)))('%s has a healthcheck', (_name, s) => {
    expect(s.healthcheck?.disable).not.toBe(true);
    expect(Array.isArray(s.healthcheck?.test) || typeof s.healthcheck?.test === 'string').toBe(true);
  });

  it.each(services.filter(([, s]) => oneShot(s)))('one-shot %s is awaited with service_completed_successfully', (name) => {
    const waiters = services.filter(
      ([, s]) => !Array.isArray(s.depends_on) && s.depends_on?.[name]?.condition === 'service_completed_successfully',
    );
    expect(waiters.length).toBeGreaterThan(0);
  });

  it.each(services)('%s waits for each dependency to be healthy or completed, never just started', (_name, s) => {
    expect(Array.isArray(s.depends_on)).toBe(false);
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      const target = compose.services[dep];
      expect(target, `depends on unknown service ${dep}`).toBeDefined();
      expect(condition).toBe(oneShot(target!) ? 'service_completed_successfully' : 'service_healthy');
    }
  });

  it.each(services)('%s keeps its state in named volumes declared at the top level, or mounts files from deploy/', (_name, s) => {
    for (const v of s.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
      if (source.startsWith('.') || source.startsWith('/')) {
        expect(source).toMatch(/^\.\/deploy\//);
        expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
      } else {
        expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
    }
  });

  it('every published host port is in the README ports table, with its service', () => {
    const documented = new Set(
      section('ports')
        .slice(1)
        .map((r) => `${cells(r)[0]} ${unquote(cells(r)[1]!)}`),
    );
    const published = services.flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => {
        const host = typeof p === 'string' ? p.split(':').slice(-2, -1)[0] : String(p.published);
        return `${host} ${name}`;
      }),
    );
    expect(published.length).toBeGreaterThan(0);
    expect(published.filter((p) => !documented.has(p))).toEqual([]);
  });
});
