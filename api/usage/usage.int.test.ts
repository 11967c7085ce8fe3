import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { aggregateUsage, parseJsonLossless, parseMeter, type Delivery } from '../../domain/metering/index.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const key = (k: string) => ({ 'X-API-Key': k });
const OCT = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };

const METERS = [
  { code: 'calls', name: 'Calls', eventType: 'llm', aggregation: 'count', groupBy: ['model', 'region'] },
  { code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'usage.tokens', groupBy: ['model', 'region'] },
  {
    code: 'eu_tokens',
    name: 'EU tokens',
    eventType: 'llm',
    aggregation: 'sum',
    valueProperty: 'usage.tokens',
    filters: { region: ['eu'] },
    groupBy: ['model'],
  },
  { code: 'peak', name: 'Peak', eventType: 'llm', aggregation: 'max', valueProperty: 'usage.tokens', groupBy: ['model'] },
  {
    code: 'users',
    name: 'Users',
    eventType: 'llm',
    aggregation: 'unique_count',
    valueProperty: 'user',
    filters: { model: ['gpt', 'claude'] },
    groupBy: ['region'],
  },
  { code: 'seats', name: 'Seats', eventType: 'seats', aggregation: 'latest', valueProperty: 'count', groupBy: ['plan'] },
];

// What tenant A posts, in order; the same id three times across requests and batches.
const posted: { id: string; type: string; time: string; data: string }[] = [];
const ev = (id: string, day: number, data: string, type = 'llm') => ({
  id,
  type,
  time: `2026-10-${String(day).padStart(2, '0')}T12:00:00Z`,
  data,
});

async function post(events: ReturnType<typeof ev>[], apiKey = api.apiKeys.a) {
  const body = `[${events.map((e) => `{"id":${JSON.stringify(e.id)},"type":"${e.type}","time":"${e.time}","data":${e.data}}`).join(',')}]`;
  const res = await api.request.post('/api/usage/ingest').set(key(apiKey)).set('Content-Type', 'application/json').send(body);
  expect(res.status).toBe(202);
  if (apiKey === api.apiKeys.a) posted.push(...events);
}

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  for (const m of METERS) expect((await api.request.post('/api/meters').set(auth(api.tokens.admin)).send(m)).status).toBe(201);

  const dup = ev('dup', 3, '{"usage":{"tokens":100},"model":"gpt","region":"eu","user":"u1"}');
  await post([dup, ev('e1', 2, '{"usage":{"tokens":"0.5"},"model":"gpt","region":"us","user":"u2"}')]);
  await post([ev('e2', 4, '{"usage":{"tokens":123456789012345.000000000001},"model":"claude","region":"eu","user":"u1"}'), dup, dup]);
  // Concurrent requests share a flush: the third and fourth copies travel together.
  await Promise.all([
    post([{ ...dup, time: '2026-10-20T12:00:00Z', data: '{"usage":{"tokens":999},"model":"gpt","region":"eu","user":"u9"}' }]),
    post([
      ev('e3', 5, '{"usage":{"tokens":7},"model":"mistral","region":"eu","user":"u3"}'),
      ev('e4', 31, '{"usage":{"tokens":1.25},"model":"gpt","region":"apac","user":"u4"}'),
    ]),
    post([
      ev('s1', 1, '{"count":3,"plan":"pro"}', 'seats'),
      ev('s2', 15, '{"count":5,"plan":"pro"}', 'seats'),
      ev('s3', 10, '{"count":"2","plan":"team"}', 'seats'),
    ]),
  ]);
  await post([ev('b-only', 6, '{"usage":{"tokens":5000},"model":"gpt","region":"eu","user":"x"}')], api.apiKeys.b);
});
afterAll(async () => Promise.all([db?.drop(), ch?.dispose()]));

function expected(code: string, groupBy: string[] = []) {
  let seq = 0n;
  const deliveries: Delivery[] = posted.map((e) => ({
    id: e.id,
    type: e.type,
    timeMs: Date.parse(e.time),
    ingestedAt: (seq += 1n),
    data: parseJsonLossless(e.data) as Record<string, unknown>,
  }));
  const meter = parseMeter(METERS.find((m) => m.code === code));
  const r = aggregateUsage(meter, deliveries, { fromMs: Date.parse(OCT.from), toMs: Date.parse(OCT.to) }, groupBy);
  return { meter: code, aggregation: meter.aggregation, value: r.value, events: r.events, ...(r.groups ? { groups: r.groups } : {}) };
}

describe('GET /api/usage/summary', () => {
  it('answers every meter for the tenant, exact and deduplicated, as the reference aggregation does', async () => {
    const res = await api.request.get('/api/usage/summary').query(OCT).set(key(api.apiKeys.a));
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('GET', '/api/usage/summary', res);
    expect(res.body.from).toBe('2026-10-01T00:00:00.000Z');
    expect(res.body.items).toEqual(
      METERS.map((m) => m.code)
        .sort()
        .map((code) => expected(code)),
    );
    const tokens = res.body.items.find((i: { meter: string }) => i.meter === 'tokens');
    // dup counted once with its first delivery's 100, not 999, and not three times.
    expect(tokens).toEqual({ meter: 'tokens', aggregation: 'sum', value: '123456789012453.750000000001', events: 5 });
  });

  it.each([
    ['calls', ['model', 'region']],
    ['tokens', ['model']],
    ['eu_tokens', ['model']],
    ['peak', ['model']],
    ['users', ['region']],
    ['seats', ['plan']],
  ])('%s grouped by %j', async (code, groupBy) => {
    const res = await api.request
      .get('/api/usage/summary')
      .query({ ...OCT, meter: code, groupBy: groupBy.join(',') })
      .set(auth(api.tokens.customerA));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expected(code, groupBy)]);
  });

  it('refuses a groupBy the meter does not declare, and an unknown meter', async () => {
    const bad = await api.request
      .get('/api/usage/summary')
      .query({ ...OCT, meter: 'peak', groupBy: 'region' })
      .set(key(api.apiKeys.a));
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('groupBy');
    expect(
      (
        await api.request
          .get('/api/usage/summary')
          .query({ ...OCT, meter: 'nope' })
          .set(key(api.apiKeys.a))
      ).status,
    ).toBe(404);
    expect((await api.request.get('/api/usage/summary').query({ from: OCT.to, to: OCT.from }).set(key(api.apiKeys.a))).status).toBe(400);
  });

  it('keeps tenants apart: another tenant is 404 for API keys and customers, and never mixed in', async () => {
    const b = await api.request
      .get('/api/usage/summary')
      .query({ ...OCT, meter: 'tokens' })
      .set(key(api.apiKeys.b));
    expect(b.body.items[0]).toMatchObject({ value: '5000', events: 1 });
    expect(
      (
        await api.request
          .get('/api/usage/summary')
          .query({ ...OCT, tenantId: api.tenants.b.id })
          .set(key(api.apiKeys.a))
      ).status,
    ).toBe(404);
    expect(
      (
        await api.request
          .get('/api/usage/summary')
          .query({ ...OCT, tenantId: api.tenants.a.id })
          .set(key(api.apiKeys.b))
      ).status,
    ).toBe(404);
    expect(
      (
        await api.request
          .get('/api/usage/summary')
          .query({ ...OCT, tenantId: api.tenants.a.id })
          .set(auth(api.tokens.customerB))
      ).status,
    ).toBe(404);
    expect(
      (
        await api.request
          .get('/api/usage/timeseries')
          .query({ ...OCT, meter: 'tokens', granularity: 'day', tenantId: api.tenants.a.id })
          .set(auth(api.tokens.customerB))
      ).status,
    ).toBe(404);
    expect(
      (
        await api.request
          .get('/api/usage/events')
          .query({ ...OCT, meter: 'tokens', tenantId: api.tenants.a.id })
          .set(auth(api.tokens.customerB))
      ).status,
    ).toBe(404);
  });

  it('operators name the tenant: required, and 404 when it does not exist', async () => {
    expect((await api.request.get('/api/usage/summary').query(OCT).set(auth(api.tokens.finance))).status).toBe(400);
    const ok = await api.request
      .get('/api/usage/summary')
      .query({ ...OCT, meter: 'calls', tenantId: api.tenants.a.id })
      .set(auth(api.tokens.finance));
    expect(ok.body.items).toEqual([expected('calls')]);
    expect(
      (
        await api.request
          .get('/api/usage/summary')
          .query({ ...OCT, tenantId: '00000000-0000-4000-8000-000000000000' })
          .set(auth(api.tokens.admin))
      ).status,
    ).toBe(404);
  });
});

describe('GET /api/usage/timeseries', () => {
  it('gives one point per day from `from`, with groups', async () => {
    const res = await api.request
      .get('/api/usage/timeseries')
      .query({ from: '2026-10-01T00:00:00Z', to: '2026-10-06T00:00:00Z', meter: 'tokens', granularity: 'day', groupBy: 'model' })
      .set(key(api.apiKeys.a));
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('GET', '/api/usage/timeseries', res);
    expect(res.body.points.map((p: { t: string; value: string }) => [p.t.slice(0, 10), p.value])).toEqual([
      ['2026-10-01', '0'],
      ['2026-10-02', '0.5'],
      ['2026-10-03', '100'],
      ['2026-10-04', '123456789012345.000000000001'],
      ['2026-10-05', '7'],
    ]);
    expect(res.body.points[2].groups).toEqual([{ key: { model: 'gpt' }, value: '100', events: 1 }]);
  });

  it('refuses more than 10,000 points', async () => {
    const res = await api.request
      .get('/api/usage/timeseries')
      .query({ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', meter: 'calls', granularity: 'minute' })
      .set(key(api.apiKeys.a));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('granularity');
  });
});

describe('GET /api/usage/events', () => {
  it('lists the deduplicated events behind a value, first delivery as stored', async () => {
    const res = await api.request
      .get('/api/usage/events')
      .query({ ...OCT, meter: 'eu_tokens', limit: 10 })
      .set(auth(api.tokens.customerA));
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('GET', '/api/usage/events', res);
    expect(res.body.items.map((e: { id: string; deliveries: number }) => [e.id, e.deliveries])).toEqual([
      ['dup', 4],
      ['e2', 1],
      ['e3', 1],
    ]);
    expect(res.body.items[1].data.usage.tokens).toBe('123456789012345.000000000001');
  });
});

describe('/metrics', () => {
  it('counts the redeliveries that reads ignored', async () => {
    const res = await api.request.get('/metrics');
    expect(Number(/meterplane_usage_events_deduplicated_total (\d+)/.exec(res.text)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
