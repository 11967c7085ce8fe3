import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

const policyOf = (res: { headers: Record<string, string> }) =>
  Object.fromEntries(
    res.headers['content-security-policy']!.split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values]),
  );

describe('Content-Security-Policy of what the API serves', () => {
  it.each([
    ['JSON', '/api/openapi.json', 200],
    ['a problem+json error', '/api/tenants', 401],
    ['an unmatched API path', '/api/no-such-thing', 404],
    ['a probe', '/health', 200],
  ])('%s allows nothing to run (%s)', async (_kind, path, status) => {
    const res = await api.request.get(path).expect(status);
    expect(policyOf(res)).toEqual({
      'default-src': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
  });

  it('the API reference loads script, style and data from this server only, never inline script', async () => {
    const res = await api.request.get('/api/docs').expect(200);
    const policy = policyOf(res);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['style-src']).toEqual(["'self'"]);
    expect(policy['connect-src']).toEqual(["'self'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect([...res.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/api/docs/assets/swagger-ui-bundle.js',
      '/api/docs/assets/init.js',
    ]);
  });
});
