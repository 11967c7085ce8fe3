import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, TEST_AUTH, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { until } from '../../test/harness/until.ts';
import { createApp } from '../app.ts';
import { createMeteringRuntime } from '../ingest/metering-runtime.ts';
import { createUsageEventWriter, pendingRow } from '../../db/clickhouse/usage-writer.ts';
import { createPgFlushLock } from '../ingest/flush-lock.ts';
import { limitCountersHook } from '../ingest/limit-counters-hook.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { clickhouseMicroTime, clickhouseTime } from '../../db/clickhouse/time.ts';
import { failingInsertsInto } from '../../test/harness/clickhouse-faults.ts';
import { subscribeDirectly } from '../../test/harness/billing-plans.ts';
import { createAuthorizeBatcher } from './authorize-batcher.ts';

// Usage limits and authorization against the real PostgreSQL and ClickHouse: never over a hard
// limit under concurrency or across two API instances, settled by real events (redeliveries
// count once), exact against /usage/summary, and corrected by reconciliation after a failed flush.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const admin = () => auth(api.tokens.admin);
const key = (k: string) => ({ 'X-API-Key': k });

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client, deps: { metering: undefined } });
  for (const m of [
    { code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens', filters: { model: ['a', 'b'] } },
    { code: 'calls', name: 'Calls', eventType: 'llm', aggregation: 'count' },
    { code: 'peak', name: 'Peak', eventType: 'llm', aggregation: 'max', valueProperty: 'tokens' },
  ])
    expect((await api.request.post('/api/meters').set(admin()).send(m)).status).toBe(201);
});
afterAll(async () => {
  await db?.drop();
  await ch?.dispose();
});

/** A fresh tenant with an ingest key, as the harness makes them. */
async function tenant() {
  const t = await withOperator(db.pool, (tx) =>
    tenantsRepository.insert(tx, { name: `t-${randomUUID()}`, externalId: `x-${randomUUID()}`, currency: 'USD' }),
  );
  const res = await api.request
    .post(`/api/tenants/${t.id}/api-keys`)
    .set(admin())
    .send({ name: 'ingest', scopes: ['ingest'] });
  expect(res.status).toBe(201);
  return { id: t.id, key: res.body.key as string };
}

const setLimit = (tenantId: string, body: object, headers = admin()) =>
  api.request.post(`/api/tenants/${tenantId}/usage-limits`).set(headers).send(body);
const authorize = (k: string, body: object, r = api.request) =>
  r
    .post('/api/usage/authorize')
    .set(key(k))
    .send({ idempotencyKey: randomUUID(), ...body });
const limits = async (tenantId: string) => (await api.request.get(`/api/tenants/${tenantId}/usage-limits`).set(admin())).body.items;
const ingest = (k: string, events: object[]) =>
  api.request.post('/api/usage/ingest').set(key(k)).set('Content-Type', 'application/json').send(events);
const monthNow = () => {
  const n = new Date();
  return {
    from: new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), 1)).toISOString(),
    to: new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + 1, 1)).toISOString(),
  };
};
const summary = async (tenantId: string, meter: string) =>
  (
    await api.request
      .get('/api/usage/summary')
      .query({ tenantId, meter, ...monthNow() })
      .set(admin())
  ).body.items[0].value as string;
const event = (tokens: string, extra: object = {}, model = 'a') => ({
  id: randomUUID(),
  type: 'llm',
  time: new Date(Date.now() - 1000).toISOString(),
  data: { tokens, model },
  ...extra,
});

describe('hard limits', () => {
  it('50 concurrent authorizations of 10 under a limit of 200: exactly 20 authorized; after the ttl the quantity is free again', async () => {
    const t = await tenant();
    const created = await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '200', mode: 'hard' });
    expect(created.status).toBe(201);
    expectResponseMatchesSpec('POST', `/api/tenants/${t.id}/usage-limits`, created);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => authorize(t.key, { meter: 'tokens', quantity: '10', ttlSeconds: 3600 })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    answers.forEach((a) => expectResponseMatchesSpec('POST', '/api/usage/authorize', a));
    expect(answers.filter((a) => a.body.authorized).length).toBe(20);
    const refused = answers.find((a) => !a.body.authorized)!;
    expect(refused.body).toMatchObject({ authorized: false, remaining: '0', limit: '200' });
    expect(refused.body.reason).toContain('200');
    expect((await limits(t.id))[0]).toMatchObject({ used: '0', reserved: '200', remaining: '0' });
    // Reservations that expire free their quantity: the same 200 once more, with a ttl of 1 s.
    const u = await tenant();
    await setLimit(u.id, { meter: 'tokens', window: 'month', limit: '200', mode: 'hard' });
    expect((await authorize(u.key, { meter: 'tokens', quantity: '200', ttlSeconds: 1 })).body.authorized).toBe(true);
    expect((await authorize(u.key, { meter: 'tokens', quantity: '10' })).body.authorized).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    const again = await authorize(u.key, { meter: 'tokens', quantity: '200' });
    expect(again.body).toMatchObject({ authorized: true, remaining: '0', limit: '200' });
  });

  it('settling with real events counts the actual usage (redeliveries once), exact against /usage/summary', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '100.5', mode: 'hard' });
    await setLimit(t.id, { meter: 'tokens', window: 'day', limit: '1000', mode: 'hard' });
    const a = await authorize(t.key, { meter: 'tokens', quantity: '50' });
    const b = await authorize(t.key, { meter: 'tokens', quantity: '50' });
    expect([a.body.authorized, b.body.authorized]).toEqual([true, true]);
    expect((await authorize(t.key, { meter: 'tokens', quantity: '1' })).body).toMatchObject({
      authorized: false,
      remaining: '0.5',
      limit: '100.5',
    });
    // A settles with 20.25 (plain), B with 0.000000000001 as a CloudEvent (extension reservationid), plus one unreserved event.
    const e1 = event('20.25', { reservationId: a.body.reservationId });
    expect((await ingest(t.key, [e1])).status).toBe(202);
    const ce = { specversion: '1.0', source: 'svc', ...event('0.000000000001'), reservationid: b.body.reservationId };
    expect(
      (await api.request.post('/api/usage/ingest').set(key(t.key)).set('Content-Type', 'application/cloudevents+json').send(ce)).status,
    ).toBe(202);
    expect((await ingest(t.key, [event('5', {}, 'z')])).status).toBe(202); // filtered out by the meter
    expect((await ingest(t.key, [e1, e1])).status).toBe(202); // redeliveries
    const [month, day] = await limits(t.id);
    expect(month).toMatchObject({ used: '20.250000000001', reserved: '0', remaining: '80.249999999999' });
    expect(day).toMatchObject({ used: '20.250000000001', reserved: '0' });
    expect(await summary(t.id, 'tokens')).toBe(month.used);
    expect((await authorize(t.key, { meter: 'tokens', quantity: '80.249999999999' })).body.authorized).toBe(true);
    expect((await authorize(t.key, { meter: 'tokens', quantity: '0.000000000001' })).body.authorized).toBe(false);
  });

  it('counts usage ingested before the limit existed (the counter starts from ClickHouse) and ingest over the limit is 202 with limit_exceeded', async () => {
    const t = await tenant();
    expect((await ingest(t.key, [event('7'), event('3')])).status).toBe(202);
    await setLimit(t.id, { meter: 'calls', window: 'month', limit: '2', mode: 'hard' });
    expect((await limits(t.id))[0]).toMatchObject({ used: '2', remaining: '0' });
    expect((await authorize(t.key, { meter: 'calls', quantity: '1' })).body.authorized).toBe(false);
    const over = await ingest(t.key, [event('1')]);
    expect(over.status).toBe(202);
    expect(over.body.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'limit_exceeded' })]));
    expect((await limits(t.id))[0]).toMatchObject({ used: '3', remaining: '-1' });
  });

  it('a repeated idempotencyKey answers the first answer and reserves nothing more', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '10', mode: 'hard' });
    const body = { meter: 'tokens', quantity: '6', idempotencyKey: 'k-1' };
    const [x, y] = await Promise.all([authorize(t.key, body), authorize(t.key, body)]);
    expect(x.body).toEqual(y.body);
    expect((await authorize(t.key, body)).body).toEqual(x.body);
    expect((await limits(t.id))[0].reserved).toBe('6');
    expect((await authorize(t.key, { ...body, quantity: '5' })).status).toBe(422);
  });

  it('two API instances over the same stores never authorize past the limit', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '95', mode: 'hard' });
    const other = createApp({
      logger: pino({ level: 'silent' }),
      pg: db.pool,
      clickhouse: ch.client,
      temporal: {} as never,
      auth: TEST_AUTH,
    });
    const r2 = request(other.koa.callback());
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => authorize(t.key, { meter: 'tokens', quantity: '5' }, i % 2 ? r2 : api.request)),
    );
    expect(answers.filter((a) => a.body.authorized).length).toBe(19);
    expect((await limits(t.id))[0]).toMatchObject({ reserved: '95', remaining: '0' });
  });
});

describe('a flush that fails after its bump', () => {
  const row = (tenantId: string, tokens: string) =>
    pendingRow({
      tenantId,
      eventId: randomUUID(),
      eventType: 'llm',
      eventTime: clickhouseTime(Date.now() - 1000),
      subject: '',
      source: 'api',
      data: JSON.stringify({ tokens, model: 'a' }),
      ingestedAt: clickhouseMicroTime(Date.now() * 1000),
    });

  it('leaves at most an over-count, which reconciliation removes', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '100', mode: 'hard' });
    expect((await ingest(t.key, [event('10')])).status).toBe(202);
    const runtime = createMeteringRuntime({ pg: db.pool, clickhouse: ch.client, reconcileEveryMs: 0 });
    // A crash between the bump and the inserts: the bump alone, then nothing.
    const bumpOnly = limitCountersHook({ pg: db.pool, counters: runtime.limitCounters });
    const lost = row(t.id, '30');
    await bumpOnly([lost], [lost]);
    expect((await limits(t.id))[0].used).toBe('40');
    expect((await authorize(t.key, { meter: 'tokens', quantity: '61' })).body.authorized).toBe(false); // refuses early, never late
    await runtime.limitCounters.reconcilePass();
    expect((await limits(t.id))[0].used).toBe('10');
    // A flush whose inserts fail corrects its own bump at once.
    const writer = createUsageEventWriter(failingInsertsInto(ch.client, 'usage_events'), {
      lock: createPgFlushLock(db.pool),
      beforeInsert: limitCountersHook({ pg: db.pool, counters: runtime.limitCounters }),
    });
    await expect(writer([row(t.id, '25')])).rejects.toThrow('killed');
    expect((await limits(t.id))[0].used).toBe('10');
    expect(await summary(t.id, 'tokens')).toBe('10');
    await runtime.stop();
  });
});

describe('soft limits', () => {
  it('authorize past it with overLimit and raise one usage_limit_exceeded alert per window, even under concurrency', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '10', mode: 'soft' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => authorize(t.key, { meter: 'tokens', quantity: '3' })));
    expect(answers.every((a) => a.body.authorized)).toBe(true);
    expect(answers.filter((a) => a.body.overLimit === true).length).toBe(7);
    expect((await ingest(t.key, [event('30')])).body.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'limit_exceeded' })]),
    );
    const alerts = await until('the alert', async () => {
      const res = await api.request.get('/api/alerts').query({ tenantId: t.id, kind: 'usage_limit_exceeded' }).set(admin());
      return res.body.items?.length ? res.body.items : undefined;
    });
    expect(alerts.length).toBe(1);
    expect(alerts[0]).toMatchObject({ kind: 'usage_limit_exceeded', meter: 'tokens' });
  });
});

describe('who may do what', () => {
  it('customers add and delete their own limits, never an admin one; another tenant is 404; another tenant in authorize is 403', async () => {
    const a = api.tenants.a.id;
    const adminLimit = await setLimit(a, { meter: 'tokens', window: 'day', limit: '100', mode: 'hard' });
    const mine = await setLimit(a, { meter: 'tokens', window: 'day', limit: '50', mode: 'hard' }, auth(api.tokens.customerA));
    expect(mine.status).toBe(201);
    expect(mine.body.createdBy).toBe('customer');
    expect((await api.request.delete(`/api/tenants/${a}/usage-limits/${adminLimit.body.id}`).set(auth(api.tokens.customerA))).status).toBe(
      403,
    );
    expect((await setLimit(a, { meter: 'tokens', window: 'day', limit: '1', mode: 'hard' }, auth(api.tokens.customerB))).status).toBe(404);
    expect((await api.request.get(`/api/tenants/${a}/usage-limits`).set(auth(api.tokens.customerB))).status).toBe(404);
    expect((await api.request.delete(`/api/tenants/${a}/usage-limits/${mine.body.id}`).set(auth(api.tokens.customerB))).status).toBe(404);
    expect((await authorize(api.apiKeys.a, { meter: 'tokens', quantity: '60' })).body.authorized).toBe(false); // the customer's limit tightens
    expect((await api.request.delete(`/api/tenants/${a}/usage-limits/${mine.body.id}`).set(auth(api.tokens.customerA))).status).toBe(204);
    expect((await authorize(api.apiKeys.a, { meter: 'tokens', quantity: '60' })).body.authorized).toBe(true);
    expect((await authorize(api.apiKeys.a, { tenantId: api.tenants.b.id, meter: 'tokens', quantity: '1' })).status).toBe(403);
    expect(
      (
        await api.request
          .post('/api/usage/authorize')
          .set(key(api.readKeys.a))
          .send({ meter: 'tokens', quantity: '1', idempotencyKey: 'r' })
      ).status,
    ).toBe(403);
    const byAdmin = await api.request
      .post('/api/usage/authorize')
      .set(admin())
      .send({ tenantId: a, meter: 'tokens', quantity: '1', idempotencyKey: 'adm' });
    expect(byAdmin.body.authorized).toBe(true);
  });

  it('bad input is 400 naming the field; the largest limit is accepted', async () => {
    const a = api.tenants.a.id;
    const field = async (res: request.Response) => {
      expect(res.status).toBe(400);
      return res.body.errors?.[0]?.field;
    };
    expect(await field(await setLimit(a, { meter: 'peak', window: 'day', limit: '1', mode: 'hard' }))).toBe('meter');
    expect(await field(await setLimit(a, { meter: 'nope', window: 'day', limit: '1', mode: 'hard' }))).toBe('meter');
    expect(await field(await setLimit(a, { meter: 'tokens', window: 'week', limit: '1', mode: 'hard' }))).toBe('window');
    expect(await field(await setLimit(a, { meter: 'tokens', window: 'day', limit: '-1', mode: 'hard' }))).toBe('limit');
    expect(await field(await setLimit(a, { meter: 'tokens', window: 'day', limit: '9'.repeat(27), mode: 'hard' }))).toBe('limit');
    expect(await field(await setLimit(a, { meter: 'tokens', window: 'day', limit: 5, mode: 'hard' }))).toBe('limit');
    expect(await field(await setLimit(a, { meter: 'tokens', window: 'day', limit: '5', mode: 'capped' }))).toBe('mode');
    const largest = await setLimit(a, { meter: 'tokens', window: 'month', limit: `${'9'.repeat(26)}.${'9'.repeat(12)}`, mode: 'soft' });
    expect(largest.status).toBe(201);
    expect(largest.body.limit).toBe(`${'9'.repeat(26)}.${'9'.repeat(12)}`);
    const k = api.apiKeys.a;
    expect(await field(await authorize(k, { meter: 'tokens', quantity: '1', ttlSeconds: 0 }))).toBe('ttlSeconds');
    expect(await field(await authorize(k, { meter: 'tokens', quantity: '1', ttlSeconds: 3601 }))).toBe('ttlSeconds');
    expect(await field(await authorize(k, { meter: 'tokens', quantity: '0' }))).toBe('quantity');
    expect(await field(await authorize(k, { meter: 'tokens', quantity: '1e3' }))).toBe('quantity');
    expect(await field(await authorize(k, { meter: 'tokens', quantity: '1', idempotencyKey: '' }))).toBe('idempotencyKey');
    expect(await field(await ingest(k, [event('1', { reservationId: 'nope' })]))).toBe('events[0].reservationId');
    expect(
      await field(
        await api.request.post('/api/usage/authorize').set(admin()).send({ meter: 'tokens', quantity: '1', idempotencyKey: 'x' }),
      ),
    ).toBe('tenantId');
  });
});

describe('credit limits', () => {
  /** A tenant on a plan that prices tokens at 0.01 (no base fee, no tax) in the current month, with 10.00 of credit. */
  async function onCredit(limit: string) {
    const t = await tenant();
    const plan = await api.request
      .post('/api/pricing/plans')
      .set(admin())
      .send({
        code: `p-${randomUUID()}`,
        name: 'Tokens at a cent',
        currency: 'USD',
        interval: 'month',
        baseFee: '0',
        charges: [{ meter: 'tokens', model: 'per_unit', unitPrice: '0.01' }],
      });
    expect(plan.status).toBe(201);
    const { from, to } = monthNow();
    await subscribeDirectly({ db }, t.id, plan.body, { start: from, end: to });
    const grant = await api.request
      .post(`/api/tenants/${t.id}/credit-grants`)
      .set(admin())
      .send({ amount: '10.00', currency: 'USD', reason: 'prepaid' });
    expect(grant.status).toBe(201);
    const created = await setLimit(t.id, { meter: 'tokens', window: 'month', limit, mode: 'credit' });
    expect(created.status).toBe(201);
    expect(created.body.mode).toBe('credit');
    return t;
  }

  it('50 concurrent authorizations of 30 tokens (0.30 each) against 10.00 of credit: exactly 33 are authorized', async () => {
    const t = await onCredit('1000000');
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => authorize(t.key, { meter: 'tokens', quantity: '30', ttlSeconds: 3600 })),
    );
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    answers.forEach((a) => expectResponseMatchesSpec('POST', '/api/usage/authorize', a));
    // 33 × 0.30 = 9.90 fits in 10.00; a 34th would make 10.20.
    expect(answers.filter((a) => a.body.authorized).length).toBe(33);
    expect(answers.find((a) => !a.body.authorized)!.body.reason).toContain('credit balance');
    expect((await limits(t.id))[0]).toMatchObject({ used: '0', reserved: '990' });
  });

  it('usage counted in the period spends the credit; the last cent is authorized, one token more is not', async () => {
    const t = await onCredit('1000000');
    expect((await ingest(t.key, [event('900')])).status).toBe(202);
    await until('the 900 tokens in the summary', async () => (await summary(t.id, 'tokens')) === '900', 20_000);
    const balance = await api.request.get(`/api/tenants/${t.id}/credit-balance`).set(admin());
    expect(balance.body).toMatchObject({ pendingUsage: '9.00', available: '1.00' });
    // 100 tokens more cost exactly the 1.00 left.
    expect((await authorize(t.key, { meter: 'tokens', quantity: '100' })).body.authorized).toBe(true);
    const over = await authorize(t.key, { meter: 'tokens', quantity: '1' });
    expect(over.body.authorized).toBe(false);
    // A new grant covers more.
    await api.request.post(`/api/tenants/${t.id}/credit-grants`).set(admin()).send({ amount: '0.01', currency: 'USD', reason: 'top-up' });
    expect((await authorize(t.key, { meter: 'tokens', quantity: '1' })).body.authorized).toBe(true);
  });

  it('a credit limit is also a hard limit: its own limit refuses first', async () => {
    const t = await onCredit('50');
    expect((await authorize(t.key, { meter: 'tokens', quantity: '50' })).body).toMatchObject({ authorized: true, remaining: '0' });
    const refused = await authorize(t.key, { meter: 'tokens', quantity: '1' });
    expect(refused.body).toMatchObject({ authorized: false, limit: '50' });
    expect(refused.body.reason).toContain('limit of 50');
  });

  it('a meter with a credit limit and no plan pricing it costs nothing: authorized up to the limit', async () => {
    const t = await tenant();
    expect((await setLimit(t.id, { meter: 'calls', window: 'day', limit: '3', mode: 'credit' })).status).toBe(201);
    expect((await authorize(t.key, { meter: 'calls', quantity: '3' })).body.authorized).toBe(true);
    expect((await authorize(t.key, { meter: 'calls', quantity: '1' })).body.authorized).toBe(false);
  });
});

describe('authorizations of one meter decided together (authorize-batcher)', () => {
  it('twins of one idempotencyKey in the same rush reserve once, and the limit holds', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '200', mode: 'hard' });
    const keys = [...Array.from({ length: 20 }, () => randomUUID()), ...Array.from({ length: 10 }, () => 'twin')];
    const answers = await Promise.all(keys.map((k) => authorize(t.key, { meter: 'tokens', quantity: '10', idempotencyKey: k })));
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const twins = answers.filter((_, i) => keys[i] === 'twin').map((a) => a.body);
    // Every twin answers the first answer: the same reservation (or the same refusal).
    expect(new Set(twins.map((b) => JSON.stringify([b.authorized, b.reservationId ?? null]))).size).toBe(1);
    const reservations = new Set(answers.filter((a) => a.body.authorized).map((a) => a.body.reservationId));
    // 21 distinct requests of 10 against 200: exactly 20 reservations.
    expect(reservations.size).toBe(20);
    expect((await limits(t.id))[0]).toMatchObject({ reserved: '200', remaining: '0' });
  });

  it('a batch that fails is retried one by one, so a bad authorization fails only itself', async () => {
    const t = await tenant();
    await setLimit(t.id, { meter: 'tokens', window: 'month', limit: '100', mode: 'hard' });
    const batcher = createAuthorizeBatcher(db.pool);
    const input = (quantity: string) => ({
      tenantId: t.id,
      meter: 'tokens',
      quantity,
      ttlSeconds: 60,
      idempotencyKey: randomUUID(),
      creditCap: null,
    });
    // The first goes alone; the three behind it wait and go together, with a quantity PostgreSQL refuses.
    const first = batcher(input('10'));
    const rest = [batcher(input('20')), batcher(input('not a number')), batcher(input('30'))];
    const settled = await Promise.allSettled([first, ...rest]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.answer?.authorized)).toEqual([true, true, true]);
    expect((await limits(t.id))[0]).toMatchObject({ reserved: '60', remaining: '40' });
  });
});
