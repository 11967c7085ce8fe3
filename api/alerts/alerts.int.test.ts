import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { raiseAlert } from '../../activities/alerts/raise-alert.ts';
import type { AlertView } from '../../domain/anomaly/index.ts';
import { ALERT_RULE_LIMITS } from '../../domain/anomaly/index.ts';
import { MAX_TYPE_LENGTH } from '../../domain/metering/index.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let alertA: AlertView;
let alertB: AlertView;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Requests as `token`, checking every answer against the checked-in OpenAPI document. */
async function call(method: 'get' | 'post' | 'delete', path: string, token: string, body?: object) {
  const req = api.request[method](path).set(auth(token));
  const res = body ? await req.send(body) : await req;
  if (res.status !== 204) expectResponseMatchesSpec(method, path, res);
  return res;
}

const spike = (tenantId: string, minutesAgo: number) => ({
  tenantId,
  meter: null,
  eventType: 'api_call',
  kind: 'usage_spike' as const,
  severity: 'warning' as const,
  windowStart: new Date(Date.now() - (minutesAgo + 5) * 60_000),
  windowEnd: new Date(Date.now() - minutesAgo * 60_000),
  observed: '2000',
  expected: '200.5',
  message: 'Usage spike on api_call',
  details: { z: 18 },
});

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  alertA = (await raiseAlert(db.pool, spike(api.tenants.a.id, 10)))!;
  alertB = (await raiseAlert(db.pool, spike(api.tenants.b.id, 10)))!;
  await raiseAlert(db.pool, {
    tenantId: api.tenants.a.id,
    meter: null,
    kind: 'budget_threshold',
    severity: 'warning',
    level: 80,
    currency: 'USD',
    windowStart: new Date('2026-01-01T00:00:00Z'),
    windowEnd: new Date('2026-02-01T00:00:00Z'),
    observed: '81',
    expected: '100',
    message: 'budget',
  });
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('GET /api/alerts', () => {
  it('a customer sees only their own alerts, newest first, with exact decimal strings', async () => {
    const res = await call('get', '/api/alerts', api.tokens.customerA);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    expect(res.body.items.map((a: AlertView) => a.tenantId)).toEqual([api.tenants.a.id, api.tenants.a.id]);
    const spikeA = res.body.items.find((a: AlertView) => a.kind === 'usage_spike');
    expect(spikeA).toEqual({ ...alertA, acknowledgedAt: null, acknowledgedBy: null });
    expect(spikeA).toMatchObject({ observed: '2000', expected: '200.5', window: { start: expect.any(String), end: expect.any(String) } });
    expect(res.body.items.find((a: AlertView) => a.kind === 'budget_threshold')).toMatchObject({
      level: 80,
      observed: '81.00',
      expected: '100.00',
      currency: 'USD',
      meter: null,
    });
  });

  it('a customer naming another tenant gets 404, the same as for a missing one', async () => {
    expect((await call('get', `/api/alerts?tenantId=${api.tenants.b.id}`, api.tokens.customerA)).status).toBe(404);
    expect((await call('get', `/api/alerts/${alertB.id}`, api.tokens.customerA)).status).toBe(404);
  });

  it('operators see every tenant and filter by tenant, kind and time', async () => {
    expect((await call('get', '/api/alerts', api.tokens.admin)).body.total).toBe(3);
    expect((await call('get', '/api/alerts', api.tokens.finance)).body.total).toBe(3);
    expect(
      (await call('get', `/api/alerts?tenantId=${api.tenants.b.id}`, api.tokens.admin)).body.items.map((a: AlertView) => a.id),
    ).toEqual([alertB.id]);
    expect((await call('get', '/api/alerts?kind=budget_threshold', api.tokens.admin)).body.total).toBe(1);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await call('get', `/api/alerts?since=${future}`, api.tokens.admin)).body.total).toBe(0);
    expect(
      (await call('get', `/api/alerts?since=${encodeURIComponent('2020-01-01T00:00:00Z')}&limit=1`, api.tokens.admin)).body,
    ).toMatchObject({ total: 3, limit: 1 });
  });

  it('refuses bad filters naming the field, and API keys', async () => {
    const res = await call('get', '/api/alerts?kind=meltdown', api.tokens.admin);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.kind');
    const key = await api.request.get('/api/alerts').set('X-API-Key', api.apiKeys.a);
    expect(key.status).toBe(403);
  });
});

describe('POST /api/alerts/:id/ack', () => {
  it("customer B can neither see nor acknowledge A's alert (404), and it stays unacknowledged", async () => {
    expect((await call('post', `/api/alerts/${alertA.id}/ack`, api.tokens.customerB)).status).toBe(404);
    expect((await call('get', `/api/alerts/${alertA.id}`, api.tokens.admin)).body.acknowledgedAt).toBeNull();
  });

  it('a customer acknowledges their own alert once; a second acknowledgement keeps the first', async () => {
    const first = await call('post', `/api/alerts/${alertA.id}/ack`, api.tokens.customerA);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: alertA.id, acknowledgedBy: api.users.customerA.id, acknowledgedAt: expect.any(String) });
    const second = await call('post', `/api/alerts/${alertA.id}/ack`, api.tokens.admin);
    expect(second.body).toMatchObject({ acknowledgedBy: api.users.customerA.id, acknowledgedAt: first.body.acknowledgedAt });
    expect((await call('post', '/api/alerts/00000000-0000-4000-8000-000000000000/ack', api.tokens.admin)).status).toBe(404);
  });
});

describe('alert rules (admin)', () => {
  it('creates, lists and deletes rules; one rule per scope', async () => {
    const created = await call('post', '/api/alert-rules', api.tokens.admin, {
      tenantId: api.tenants.a.id,
      meter: 'api_call',
      sensitivity: 8.5,
      windowMinutes: 15,
      minVolume: 500,
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/alert-rules/${created.body.id}`);
    expect(created.body).toMatchObject({
      tenantId: api.tenants.a.id,
      meter: 'api_call',
      sensitivity: 8.5,
      windowMinutes: 15,
      minVolume: 500,
      budgetLevels: null,
    });
    const global = await call('post', '/api/alert-rules', api.tokens.admin, { budgetLevels: [25, 75, 100] });
    expect(global.body).toMatchObject({ tenantId: null, meter: null, budgetLevels: [25, 75, 100] });
    expect(
      (await call('post', '/api/alert-rules', api.tokens.admin, { tenantId: api.tenants.a.id, meter: 'api_call', minVolume: 1 })).status,
    ).toBe(409);

    const all = await call('get', '/api/alert-rules', api.tokens.admin);
    expect(all.body.items.map((r: { id: string }) => r.id)).toEqual([global.body.id, created.body.id]);
    expect((await call('get', `/api/alert-rules?tenantId=${api.tenants.b.id}`, api.tokens.admin)).body.items).toEqual([]);

    expect((await call('delete', `/api/alert-rules/${created.body.id}`, api.tokens.admin)).status).toBe(204);
    expect((await call('delete', `/api/alert-rules/${created.body.id}`, api.tokens.admin)).status).toBe(404);
  });

  it.each<[string, object, string]>([
    ['no setting', { meter: 'api_call' }, 'sensitivity'],
    ['budget levels for one meter', { meter: 'api_call', budgetLevels: [50] }, 'budgetLevels'],
    ['an unknown tenant', { tenantId: '00000000-0000-4000-8000-000000000000', minVolume: 5 }, 'tenantId'],
    ['a window over 6 hours', { windowMinutes: 361 }, 'windowMinutes'],
    ['a repeated level', { budgetLevels: [50, 50] }, 'budgetLevels'],
    ['an unknown field', { minVolume: 5, threshold: 3 }, ''],
  ])('refuses %s with 400 naming the field', async (_name, body, field) => {
    const res = await call('post', '/api/alert-rules', api.tokens.admin, body);
    expect(res.status).toBe(400);
    if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  // Each bound the alert_rules table's CHECK constraints allow (domain/anomaly/limits.ts): the
  // largest (or smallest) accepted value is stored, one step beyond is 400 naming the field.
  const L = ALERT_RULE_LIMITS;
  const longest = 'e'.repeat(MAX_TYPE_LENGTH);
  it.each<[string, object, object, string]>([
    ['sensitivity, largest', { sensitivity: L.sensitivityMax }, { sensitivity: L.sensitivityMax + 0.001 }, 'sensitivity'],
    ['sensitivity, smallest', { sensitivity: 0.001 }, { sensitivity: 0 }, 'sensitivity'],
    // 0.0004 used to be rounded to 0 and refused by the table's CHECK: a 500
    ['sensitivity, decimal places', { sensitivity: 8.125 }, { sensitivity: 0.0004 }, 'sensitivity'],
    ['sensitivity, decimal places of a sum', { sensitivity: 0.3 }, { sensitivity: 0.1 + 0.2 }, 'sensitivity'],
    ['windowMinutes, longest', { windowMinutes: L.windowMinutesMax }, { windowMinutes: L.windowMinutesMax + 1 }, 'windowMinutes'],
    ['windowMinutes, shortest', { windowMinutes: L.windowMinutesMin }, { windowMinutes: L.windowMinutesMin - 1 }, 'windowMinutes'],
    ['minVolume, largest', { minVolume: L.minVolumeMax }, { minVolume: L.minVolumeMax + 1 }, 'minVolume'],
    ['minVolume, smallest', { minVolume: L.minVolumeMin }, { minVolume: L.minVolumeMin - 1 }, 'minVolume'],
    ['budgetLevels, highest level', { budgetLevels: [L.budgetLevelMax] }, { budgetLevels: [L.budgetLevelMax + 1] }, 'budgetLevels.0'],
    ['budgetLevels, lowest level', { budgetLevels: [L.budgetLevelMin] }, { budgetLevels: [L.budgetLevelMin - 1] }, 'budgetLevels.0'],
    [
      'budgetLevels, most levels',
      { budgetLevels: Array.from({ length: L.budgetLevelsMaxCount }, (_, i) => i + 1) },
      { budgetLevels: Array.from({ length: L.budgetLevelsMaxCount + 1 }, (_, i) => i + 1) },
      'budgetLevels',
    ],
    ['meter, longest event type', { meter: longest, minVolume: 1 }, { meter: `${longest}e`, minVolume: 1 }, 'meter'],
  ])('%s: the bound is 201, one step beyond is 400 naming the field', async (_name, bound, beyond, field) => {
    // (rules for tenant B, a scope no other test uses)
    const tenantId = api.tenants.b.id;
    const created = await call('post', '/api/alert-rules', api.tokens.admin, { tenantId, ...bound });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(bound);
    expect((await call('delete', `/api/alert-rules/${created.body.id}`, api.tokens.admin)).status).toBe(204);
    const refused = await call('post', '/api/alert-rules', api.tokens.admin, { tenantId, ...beyond });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect((await call('get', `/api/alert-rules?tenantId=${tenantId}`, api.tokens.admin)).body.items).toEqual([]);
  });

  it('is for admins only', async () => {
    expect((await call('post', '/api/alert-rules', api.tokens.finance, { minVolume: 5 })).status).toBe(403);
    expect((await call('get', '/api/alert-rules', api.tokens.customerA)).status).toBe(403);
  });
});
