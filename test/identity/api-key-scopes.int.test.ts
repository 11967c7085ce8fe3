import { describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../harness/environment.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { raiseAlert } from '../../activities/alerts/raise-alert.ts';

// The billed party must not control its own meter: only admins hand out ingest keys, and a
// customer's read keys read their own tenant and nothing else.
const env = useTestEnvironment();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const keyPath = (tenantId: string, keyId = '') => `/api/tenants/${tenantId}/api-keys${keyId ? `/${keyId}` : ''}`;

async function ownerCount(text: string, values: unknown[] = []): Promise<number> {
  const owner = await env.db.owner();
  try {
    return Number((await owner.query(text, values)).rows[0].n);
  } finally {
    await owner.end();
  }
}
const keyCount = () => ownerCount('SELECT count(*) AS n FROM api_keys');

async function storedEvents(idPrefix: string): Promise<number> {
  const rs = await env.ch.client.query({
    query: 'SELECT count() AS n FROM usage_events WHERE startsWith(event_id, {p:String})',
    query_params: { p: idPrefix },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

const createKey = (token: string, tenantId: string, body: object) => env.api.request.post(keyPath(tenantId)).set(auth(token)).send(body);

describe('creating keys', () => {
  it('a customer asking for an ingest key gets 403 naming scopes, and nothing is written', async () => {
    const before = await keyCount();
    for (const scopes of [['ingest'], ['read', 'ingest']]) {
      const res = await createKey(env.api.tokens.customerA, env.api.tenants.a.id, { name: 'self-metering', scopes });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expectResponseMatchesSpec('post', keyPath(env.api.tenants.a.id), res);
      expect(res.body.errors).toEqual([{ field: 'scopes', message: expect.stringContaining('ingest') }]);
    }
    expect(await keyCount()).toBe(before);
  });

  it('a customer creates read keys (the default for them), shown with their scopes', async () => {
    const implicit = await createKey(env.api.tokens.customerA, env.api.tenants.a.id, { name: 'dashboard sync' });
    expect(implicit.status).toBe(201);
    expectResponseMatchesSpec('post', keyPath(env.api.tenants.a.id), implicit);
    expect(implicit.body.scopes).toEqual(['read']);
    const explicit = await createKey(env.api.tokens.customerA, env.api.tenants.a.id, { name: 'reporting', scopes: ['read', 'read'] });
    expect(explicit.status).toBe(201);
    expect(explicit.body.scopes).toEqual(['read']);

    const list = await env.api.request.get(keyPath(env.api.tenants.a.id)).set(auth(env.api.tokens.customerA));
    expectResponseMatchesSpec('get', keyPath(env.api.tenants.a.id), list);
    const byId = new Map(list.body.items.map((k: { id: string; scopes: string[] }) => [k.id, k.scopes]));
    expect(byId.get(implicit.body.id)).toEqual(['read']);
    expect(byId.get(explicit.body.id)).toEqual(['read']);
    // The admin-provisioned ingest key of the harness is listed too, as an ingest key.
    expect([...byId.values()]).toContainEqual(['ingest']);
  });

  it('an admin gets an ingest key by default and may choose both scopes', async () => {
    const implicit = await createKey(env.api.tokens.admin, env.api.tenants.a.id, { name: 'collector' });
    expect(implicit.body.scopes).toEqual(['ingest']);
    const both = await createKey(env.api.tokens.admin, env.api.tenants.a.id, { name: 'both', scopes: ['read', 'ingest', 'read'] });
    expect(both.status).toBe(201);
    expect(both.body.scopes).toEqual(['ingest', 'read']);
  });

  it.each([
    ['an unknown scope', { scopes: ['admin'] }, 'scopes.0'],
    ['an unknown scope after a valid one', { scopes: ['read', 'write'] }, 'scopes.1'],
    ['an empty list', { scopes: [] }, 'scopes'],
    ['a string instead of a list', { scopes: 'read' }, 'scopes'],
    ['a list longer than 10', { scopes: Array(11).fill('read') }, 'scopes'],
  ])('%s is 400 naming the field, and nothing is written', async (_name, extra, field) => {
    const before = await keyCount();
    for (const token of [env.api.tokens.admin, env.api.tokens.customerA]) {
      const res = await createKey(token, env.api.tenants.a.id, { name: 'bad', ...extra });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    expect(await keyCount()).toBe(before);
  });

  it('a customer naming another tenant gets 404 before any scope is considered', async () => {
    const res = await createKey(env.api.tokens.customerA, env.api.tenants.b.id, { name: 'x', scopes: ['ingest'] });
    expect(res.status).toBe(404);
  });
});

describe('a read key', () => {
  const readKey = () => ({ 'X-API-Key': env.api.readKeys.a });

  it('cannot post usage: 403 problem+json on both ingest paths, and no row reaches ClickHouse', async () => {
    const events = [
      { id: 'scoped-read-1', type: 'llm', data: { tokens: 5 } },
      { id: 'scoped-read-2', type: 'llm', data: { tokens: 6 } },
    ];
    for (const path of ['/api/usage/ingest', '/api/events']) {
      // Twice: the second answer comes from the key verifier's cache, which must carry the scopes too.
      for (let i = 0; i < 2; i++) {
        const res = await env.api.request.post(path).set(readKey()).send({ events });
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expectResponseMatchesSpec('post', path, res);
        expect(res.body.detail).toMatch(/ingest/);
      }
    }
    // Also as a bearer token, and in CloudEvents binary mode.
    const bearer = await env.api.request.post('/api/usage/ingest').set('Authorization', `Bearer ${env.api.readKeys.a}`).send(events);
    expect(bearer.status).toBe(403);
    const binary = await env.api.request
      .post('/api/usage/ingest')
      .set(readKey())
      .set({ 'ce-id': 'scoped-read-3', 'ce-type': 'llm', 'ce-source': 'svc', 'ce-specversion': '1.0' })
      .send({ tokens: 1 });
    expect(binary.status).toBe(403);
    expect(await storedEvents('scoped-read-')).toBe(0);

    // The same request with the tenant's ingest key is accepted: the 403 is the scope, not the body.
    const ingest = await env.api.request
      .post('/api/usage/ingest')
      .set('X-API-Key', env.api.apiKeys.a)
      .send({ events: [{ id: 'scoped-ingest-1', type: 'llm', data: { tokens: 5 } }] });
    expect(ingest.status).toBe(202);
    expect(await storedEvents('scoped-ingest-')).toBe(1);
  });

  it("reads its own tenant's usage, and gets 404 for another tenant's", async () => {
    const window = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    const summary = await env.api.request.get('/api/usage/summary').query(window).set(readKey());
    expect(summary.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/usage/summary', summary);
    const named = await env.api.request
      .get('/api/usage/summary')
      .query({ ...window, tenantId: env.api.tenants.a.id })
      .set(readKey());
    expect(named.status).toBe(200);
    const other = await env.api.request
      .get('/api/usage/summary')
      .query({ ...window, tenantId: env.api.tenants.b.id })
      .set(readKey());
    expect(other.status).toBe(404);
    expect(other.headers['content-type']).toMatch(/problem\+json/);

    await env.api.request
      .post('/api/meters')
      .set(auth(env.api.tokens.admin))
      .send({ code: 'scoped_calls', name: 'Calls', eventType: 'scoped.call', aggregation: 'count' });
    const series = await env.api.request
      .get('/api/usage/timeseries')
      .query({ ...window, meter: 'scoped_calls', granularity: 'day' })
      .set(readKey());
    expect(series.status).toBe(200);
    const events = await env.api.request
      .get('/api/usage/events')
      .query({ ...window, meter: 'scoped_calls' })
      .set(readKey());
    expect(events.status).toBe(200);
    for (const [path, extra] of [
      ['/api/usage/timeseries', { granularity: 'day' }],
      ['/api/usage/events', {}],
    ] as const) {
      const res = await env.api.request
        .get(path)
        .query({ ...window, ...extra, meter: 'scoped_calls', tenantId: env.api.tenants.b.id })
        .set(readKey());
      expect(res.status, path).toBe(404);
    }
  });

  it("reads its own tenant's invoices and alerts, and gets 404 for another tenant's", async () => {
    const spike = (tenantId: string) => ({
      tenantId,
      meter: null,
      eventType: 'llm',
      kind: 'usage_spike' as const,
      severity: 'warning' as const,
      windowStart: new Date(Date.now() - 600_000),
      windowEnd: new Date(Date.now() - 300_000),
      observed: '2000',
      expected: '200',
      message: 'Usage spike on llm',
      details: {},
    });
    const alertA = (await raiseAlert(env.db.pool, spike(env.api.tenants.a.id)))!;
    const alertB = (await raiseAlert(env.db.pool, spike(env.api.tenants.b.id)))!;

    const alerts = await env.api.request.get('/api/alerts').set(readKey());
    expect(alerts.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/alerts', alerts);
    expect(alerts.body.items.map((a: { id: string }) => a.id)).toEqual([alertA.id]);
    expect((await env.api.request.get(`/api/alerts/${alertA.id}`).set(readKey())).status).toBe(200);
    expect((await env.api.request.get(`/api/alerts/${alertB.id}`).set(readKey())).status).toBe(404);
    expect((await env.api.request.get('/api/alerts').query({ tenantId: env.api.tenants.b.id }).set(readKey())).status).toBe(404);

    const invoices = await env.api.request.get('/api/invoices').set(readKey());
    expect(invoices.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/invoices', invoices);
    expect((await env.api.request.get('/api/invoices').query({ tenantId: env.api.tenants.b.id }).set(readKey())).status).toBe(404);
    expect((await env.api.request.get(`/api/invoices/${crypto.randomUUID()}`).set(readKey())).status).toBe(404);
  });

  it('changes nothing: acknowledging an alert, or any other route, is 403', async () => {
    const alert = (await raiseAlert(env.db.pool, {
      tenantId: env.api.tenants.a.id,
      meter: null,
      eventType: 'llm',
      kind: 'usage_drop',
      severity: 'warning',
      windowStart: new Date(Date.now() - 1_200_000),
      windowEnd: new Date(Date.now() - 900_000),
      observed: '1',
      expected: '200',
      message: 'drop',
      details: {},
    }))!;
    const ack = await env.api.request.post(`/api/alerts/${alert.id}/ack`).set(readKey());
    expect(ack.status).toBe(403);
    expect((await env.api.request.get(`/api/alerts/${alert.id}`).set(auth(env.api.tokens.admin))).body.acknowledgedAt).toBeNull();
    for (const path of [
      '/api/subscriptions',
      '/api/pricing/plans',
      `/api/tenants/${env.api.tenants.a.id}`,
      keyPath(env.api.tenants.a.id),
    ]) {
      expect((await env.api.request.get(path).set(readKey())).status, path).toBe(403);
    }
  });
});

describe('an ingest key', () => {
  it('keeps reading its own usage, but not invoices or alerts (those need read)', async () => {
    const key = { 'X-API-Key': env.api.apiKeys.a };
    expect(
      (await env.api.request.get('/api/usage/summary').query({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }).set(key)).status,
    ).toBe(200);
    for (const path of ['/api/invoices', '/api/alerts']) {
      const res = await env.api.request.get(path).set(key);
      expect(res.status, path).toBe(403);
      expect(res.body.detail).toMatch(/read/);
      expectResponseMatchesSpec('get', path, res);
    }
  });
});

describe('revoking keys', () => {
  it("a customer cannot revoke the admin's ingest key (403), which keeps working", async () => {
    const adminKey = await createKey(env.api.tokens.admin, env.api.tenants.a.id, { name: 'operator collector', scopes: ['ingest'] });
    const res = await env.api.request.delete(keyPath(env.api.tenants.a.id, adminKey.body.id)).set(auth(env.api.tokens.customerA));
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([{ field: 'scopes', message: expect.stringContaining('ingest') }]);
    expectResponseMatchesSpec('delete', keyPath(env.api.tenants.a.id, adminKey.body.id), res);
    expect(await ownerCount('SELECT count(*) AS n FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [adminKey.body.id])).toBe(1);
    const ingest = await env.api.request
      .post('/api/usage/ingest')
      .set('X-API-Key', adminKey.body.key)
      .send({ id: 'scoped-after-revoke-1', type: 'llm' });
    expect(ingest.status).toBe(202);
  });

  it("another tenant's key is 404, whichever tenant the path names", async () => {
    const bKey = await createKey(env.api.tokens.customerB, env.api.tenants.b.id, { name: 'b reader' });
    expect(bKey.status).toBe(201);
    for (const tenantId of [env.api.tenants.b.id, env.api.tenants.a.id]) {
      const res = await env.api.request.delete(keyPath(tenantId, bKey.body.id)).set(auth(env.api.tokens.customerA));
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    expect(await ownerCount('SELECT count(*) AS n FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [bKey.body.id])).toBe(1);
  });

  it('two concurrent revokes of one read key both succeed and agree on the revocation time', async () => {
    const created = await createKey(env.api.tokens.customerA, env.api.tenants.a.id, { name: 'twice' });
    const revoke = (token: string) => env.api.request.delete(keyPath(env.api.tenants.a.id, created.body.id)).set(auth(token));
    const [first, second] = await Promise.all([revoke(env.api.tokens.customerA), revoke(env.api.tokens.admin)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.revokedAt).not.toBeNull();
    expect(second.body.revokedAt).toBe(first.body.revokedAt);
    const again = await revoke(env.api.tokens.customerA);
    expect(again.body.revokedAt).toBe(first.body.revokedAt);
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (
        await env.api.request
          .get('/api/usage/summary')
          .query({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })
          .set('X-API-Key', created.body.key)
      ).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(401);
  });
});
