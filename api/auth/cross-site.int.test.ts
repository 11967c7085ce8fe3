import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';

// A page of another site can make the browser send a request with the user's session
// cookie attached, but cannot set an Authorization header (CORS forbids it). So a change
// authenticated by the cookie alone must come from our own origin (or CORS_ORIGIN).

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const HOST = 'billing.example.test';
const DASHBOARD_ELSEWHERE = 'https://dashboard.example.test';

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client, deps: { corsOrigin: DASHBOARD_ELSEWHERE } });
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

const keysPath = () => `/api/tenants/${api.tenants.a.id}/api-keys`;
const keyCount = async () =>
  ((await api.request.get(keysPath()).set('Authorization', `Bearer ${api.tokens.customerA}`).expect(200)).body as { items: unknown[] })
    .items.length;
/** A customer's cookie-authenticated "create an API key" (what a forger would love to mint), with the given browser headers. */
const createKey = (headers: Record<string, string>) =>
  api.request
    .post(keysPath())
    .set('Host', HOST)
    .set('Cookie', `mp_session=${api.tokens.customerA}`)
    .set(headers)
    .send({ name: 'from a page' });

describe('state-changing requests authenticated by the session cookie', () => {
  it.each<[string, Record<string, string>]>([
    ['an Origin of another site', { Origin: 'https://evil.example' }],
    ['an Origin on another port of the same host', { Origin: `https://${HOST}:8443` }],
    ['Origin null (a sandboxed frame)', { Origin: 'null' }],
    ['Sec-Fetch-Site cross-site without Origin', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site same-site without Origin (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
    ['a cross-site Origin that claims same-origin in Sec-Fetch-Site', { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' }],
  ])('are refused with 403 problem+json from %s, and write nothing', async (_name, headers) => {
    const before = await keyCount();
    const res = await createKey(headers);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/cross-site/);
    expectResponseMatchesSpec('POST', keysPath(), res);
    expect(await keyCount()).toBe(before);
  });

  it.each<[string, Record<string, string>]>([
    ['the same origin', { Origin: `https://${HOST}` }],
    ['the same origin behind a proxy (X-Forwarded-Host)', { Host: '10.0.0.7:4000', 'X-Forwarded-Host': HOST, Origin: `https://${HOST}` }],
    ['the configured CORS_ORIGIN', { Origin: DASHBOARD_ELSEWHERE }],
    ['Sec-Fetch-Site same-origin without Origin', { 'Sec-Fetch-Site': 'same-origin' }],
    ['no Origin and no Sec-Fetch-Site (not a browser page: curl, a script)', {}],
  ])('are served from %s', async (_name, headers) => {
    const before = await keyCount();
    const res = await createKey(headers);
    expect(res.status).toBe(201);
    expect(await keyCount()).toBe(before + 1);
  });

  it('DELETE and PATCH follow the same rule', async () => {
    const created = await createKey({ Origin: `https://${HOST}` }).expect(201);
    const cookie = { Host: HOST, Cookie: `mp_session=${api.tokens.admin}`, Origin: 'https://evil.example' };
    await api.request.delete(`${keysPath()}/${created.body.id}`).set(cookie).expect(403);
    await api.request.patch(`/api/tenants/${api.tenants.a.id}`).set(cookie).send({ name: 'renamed by a forger' }).expect(403);
    const tenant = await api.request.get(`/api/tenants/${api.tenants.a.id}`).set('Authorization', `Bearer ${api.tokens.admin}`).expect(200);
    expect(tenant.body.name).toBe(api.tenants.a.name);
  });

  it('reads are not refused: a cross-site page cannot read the answer anyway (CORS)', async () => {
    await api.request
      .get(keysPath())
      .set('Host', HOST)
      .set('Cookie', `mp_session=${api.tokens.customerA}`)
      .set('Origin', 'https://evil.example')
      .expect(200);
  });
});

describe('requests authenticated by a header', () => {
  it('a bearer token works from any Origin: another site cannot attach it', async () => {
    const res = await api.request
      .post(keysPath())
      .set('Host', HOST)
      .set('Authorization', `Bearer ${api.tokens.customerA}`)
      .set('Origin', 'https://evil.example')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ name: 'bearer' });
    expect(res.status).toBe(201);
  });

  it('a bearer token wins over a session cookie sent along, so the cookie rule does not apply', async () => {
    const res = await api.request
      .post(keysPath())
      .set('Host', HOST)
      .set('Authorization', `Bearer ${api.tokens.customerA}`)
      .set('Cookie', `mp_session=${api.tokens.customerA}`)
      .set('Origin', 'https://evil.example')
      .send({ name: 'bearer and cookie' });
    expect(res.status).toBe(201);
  });

  it('an API key posts usage from any Origin', async () => {
    const res = await api.request
      .post('/api/usage/ingest')
      .set('Host', HOST)
      .set('X-API-Key', api.apiKeys.a)
      .set('Origin', 'https://evil.example')
      .send({ events: [{ id: 'cross-site-1', type: 'api_call' }] });
    expect(res.status).toBe(202);
  });
});
