import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudEvent, HTTP, Mode, emitterFor, httpTransport } from 'cloudevents';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { createMeteringRuntime } from './metering-runtime.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let server: Server;
let baseUrl: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const key = (k: string) => ({ 'X-API-Key': k });

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  await api.request
    .post('/api/meters')
    .set(auth(api.tokens.admin))
    .send({ code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens', groupBy: ['model'] });
  server = createServer(api.app.koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all([db?.drop(), ch?.dispose()]);
});

async function storedRows(where: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await ch.client.query({
    query: `SELECT count() AS n FROM usage_events WHERE ${where}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}
const rowsOfIdPrefix = (prefix: string) => storedRows('startsWith(event_id, {p:String})', { p: prefix });
const llm = (id: string, tokens: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'llm',
  time: '2026-10-05T10:00:00Z',
  data: { tokens, model: 'gpt' },
  ...extra,
});

describe('POST /api/usage/ingest', () => {
  it('accepts plain JSON (one event, an array, {events}) from a tenant API key, durable on 202', async () => {
    for (const body of [llm('plain-1', 5), [llm('plain-2', 6), llm('plain-3', '7.5')], { events: [llm('plain-4', 8)] }]) {
      const res = await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send(body);
      expect(res.status).toBe(202);
      expectResponseMatchesSpec('POST', '/api/usage/ingest', res);
      expect(res.body).toEqual({ accepted: Array.isArray(body) ? 2 : 1, warnings: [] });
    }
    // The 202 came after the insert committed: the rows are there now, for tenant A.
    expect(await storedRows('startsWith(event_id, {p:String}) AND tenant_id = {t:String}', { p: 'plain-', t: api.tenants.a.id })).toBe(4);
  });

  it('keeps every digit of JSON numbers and decimal strings', async () => {
    // exact-1 has a type no meter reads, so its 22 fractional digits are stored as sent; a
    // metered value may have at most 12 (exact-2, a JSON number a double cannot hold).
    const text =
      '[{"id":"exact-1","type":"raw","data":{"v":0.1000000000000000000001}},{"id":"exact-2","type":"llm","data":{"tokens":123456789012345.000000000001,"model":"gpt"}}]';
    const res = await api.request.post('/api/events').set(key(api.apiKeys.a)).set('Content-Type', 'application/json').send(text);
    expect(res.status).toBe(202);
    const rs = await ch.client.query({
      query: "SELECT data FROM usage_events WHERE event_id IN ('exact-1', 'exact-2') ORDER BY event_id",
      format: 'JSONEachRow',
    });
    expect((await rs.json<{ data: string }>()).map((r) => r.data)).toEqual([
      '{"v":"0.1000000000000000000001"}',
      '{"tokens":"123456789012345.000000000001","model":"gpt"}',
    ]);
  });

  it('stores events of a type no meter reads, and says so in warnings', async () => {
    const res = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .send([{ id: 'w-1', type: 'page_view' }, { id: 'w-2', type: 'page_view' }, llm('w-3', 1)]);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(3);
    expect(res.body.warnings).toEqual([{ type: 'page_view', message: expect.stringContaining('no meter uses event type "page_view"') }]);
    expect(await rowsOfIdPrefix('w-')).toBe(3);
  });

  it('one invalid event in a batch of 1,000 refuses the request, names it, and writes nothing', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => llm(`bad-batch-${i}`, i));
    events[613] = llm('bad-batch-613', 0.30000000000000004);
    events[977] = { ...llm('bad-batch-977', 1), time: 'yesterday' };
    const res = await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send(events);
    expect(res.status).toBe(400);
    expectResponseMatchesSpec('POST', '/api/usage/ingest', res);
    expect(res.body.errors).toEqual([
      { index: 613, field: 'events[613].data.tokens', message: 'must have at most 12 digits after the decimal point (meter tokens, sum)' },
      { index: 977, field: 'events[977].time', message: 'must be an RFC 3339 timestamp such as 2026-01-31T23:59:59Z' },
    ]);
    expect(res.body.detail).toMatch(/^events\[613\]\.data\.tokens: .* \(and 1 more problem\); nothing from this request was written$/);
    expect(await rowsOfIdPrefix('bad-batch-')).toBe(0);
  });

  it.each([
    ['a missing metered value', llm('v-1', undefined), 'events[0].data.tokens', 'is required by meter tokens (sum)'],
    [
      'a time more than 5 minutes ahead',
      { ...llm('v-2', 1), time: new Date(Date.now() + 6 * 60_000).toISOString() },
      'events[0].time',
      'must not be more than 5 minutes in the future',
    ],
    ['an id over 256 characters', llm('x'.repeat(257), 1), 'events[0].id', 'must be at most 256 characters'],
  ])('refuses %s with 400 naming the field', async (_name, event, field, message) => {
    const res = await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send([event]);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ index: 0, field, message }]);
  });

  it('an API key writes only its own tenant: a subject of another tenant is 403 and nothing is written', async () => {
    const mine = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .send(llm('sub-1', 1, { subject: api.tenants.a.externalId }));
    expect(mine.status).toBe(202);
    const theirs = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .send([llm('sub-2', 1), llm('sub-3', 1, { subject: api.tenants.b.externalId })]);
    expect(theirs.status).toBe(403);
    expect(theirs.body.detail).toBe("events[1].subject names another tenant; an API key writes only its own tenant's usage");
    const byId = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .send(llm('sub-4', 1, { subject: api.tenants.b.id }));
    expect(byId.status).toBe(403);
    expect(await rowsOfIdPrefix('sub-')).toBe(1);
  });

  it('an admin session names the tenant per event by externalId or id', async () => {
    const res = await api.request
      .post('/api/usage/ingest')
      .set(auth(api.tokens.admin))
      .send([llm('adm-1', 1, { subject: api.tenants.b.externalId }), llm('adm-2', 2, { subject: api.tenants.a.id })]);
    expect(res.status).toBe(202);
    expect(await storedRows('event_id = {id:String} AND tenant_id = {t:String}', { id: 'adm-1', t: api.tenants.b.id })).toBe(1);
    expect(await storedRows('event_id = {id:String} AND tenant_id = {t:String}', { id: 'adm-2', t: api.tenants.a.id })).toBe(1);

    const missing = await api.request
      .post('/api/usage/ingest')
      .set(auth(api.tokens.admin))
      .send([llm('adm-3', 1, { subject: 'nobody' }), llm('adm-4', 1)]);
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([
      { index: 0, field: 'events[0].subject', message: 'does not name a tenant (externalId or id)' },
      { index: 1, field: 'events[1].subject', message: "is required with a user session: the tenant's externalId or id" },
    ]);
    expect(await rowsOfIdPrefix('adm-3')).toBe(0);
  });

  it('finance and customers cannot ingest; nobody anonymous can', async () => {
    expect((await api.request.post('/api/usage/ingest').set(auth(api.tokens.finance)).send(llm('r-1', 1))).status).toBe(403);
    expect((await api.request.post('/api/usage/ingest').set(auth(api.tokens.customerA)).send(llm('r-2', 1))).status).toBe(403);
    expect((await api.request.post('/api/usage/ingest').send(llm('r-3', 1))).status).toBe(401);
    expect(await rowsOfIdPrefix('r-')).toBe(0);
  });

  it('refuses more than 10,000 events and more than 5 MiB with 413', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ id: `big-${i}`, type: 'page_view' }));
    const tooMany = await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send(many);
    expect(tooMany.status).toBe(413);
    const huge = [{ id: 'huge-1', type: 'page_view', data: { blob: 'x'.repeat(5 * 1024 * 1024) } }];
    const tooBig = await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send(huge);
    expect(tooBig.status).toBe(413);
    expect(await rowsOfIdPrefix('big-')).toBe(0);
  });

  it('refuses other media types with 415 and bad JSON with 400', async () => {
    expect((await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).set('Content-Type', 'text/plain').send('hi')).status).toBe(
      415,
    );
    const bad = await api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).set('Content-Type', 'application/json').send('[{"id":');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'body', message: 'not valid JSON' }]);
  });

  it('accepts CloudEvents structured and batch content types, and binary mode from headers', async () => {
    const structured = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', source: '/svc', ...llm('ce-1', 1) }));
    expect(structured.status).toBe(202);
    const batch = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .set('Content-Type', 'application/cloudevents-batch+json')
      .send(
        JSON.stringify([
          { specversion: '1.0', source: '/svc', ...llm('ce-2', 2) },
          { specversion: '1.0', source: '/svc', ...llm('ce-3', 3) },
        ]),
      );
    expect(batch.status).toBe(202);
    expect(batch.body.accepted).toBe(2);
    const noSpec = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify(llm('ce-4', 1)));
    expect(noSpec.body.errors).toEqual([{ index: 0, field: 'events[0].specversion', message: 'is required for CloudEvents (use "1.0")' }]);
    const binary = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .set({
        'ce-specversion': '1.0',
        'ce-id': 'ce-5',
        'ce-type': 'llm',
        'ce-source': '/svc',
        'ce-time': '2026-10-05T10:00:00Z',
        'Content-Type': 'application/json',
      })
      .send(JSON.stringify({ tokens: 4, model: 'gpt' }));
    expect(binary.status).toBe(202);
    expect(await rowsOfIdPrefix('ce-')).toBe(4);
  });

  it('works unchanged with the official cloudevents SDK emitter, binary and structured mode', async () => {
    const url = `${baseUrl}/api/usage/ingest`;
    for (const [mode, id] of [
      [Mode.BINARY, 'sdk-binary'],
      [Mode.STRUCTURED, 'sdk-structured'],
    ] as const) {
      const emit = emitterFor(httpTransport(url), { binding: HTTP, mode });
      const event = new CloudEvent({
        id,
        type: 'llm',
        source: '/chat-service',
        subject: api.tenants.a.externalId,
        time: '2026-10-05T11:00:00Z',
        data: { tokens: 42, model: 'gpt' },
      });
      const response = (await emit(event, { headers: key(api.apiKeys.a) })) as { body: string };
      expect(JSON.parse(response.body)).toEqual({ accepted: 1, warnings: [] });
    }
    const rs = await ch.client.query({
      query: "SELECT event_id, source, data FROM usage_events WHERE startsWith(event_id, 'sdk-') ORDER BY event_id",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { event_id: 'sdk-binary', source: '/chat-service', data: '{"tokens":42,"model":"gpt"}' },
      { event_id: 'sdk-structured', source: '/chat-service', data: '{"tokens":42,"model":"gpt"}' },
    ]);
  });

  it('answers 503 with Retry-After when the ingest queue is full, and writes nothing', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const metering = createMeteringRuntime({
      pg: db.pool,
      clickhouse: ch.client,
      options: { maxQueueRows: 3, flushRows: 1, flushConcurrency: 1 },
      writer: () => blocked,
    });
    const slow = await createTestApi({ db, clickhouse: ch.client, deps: { metering } });
    const first = slow.request
      .post('/api/usage/ingest')
      .set(key(slow.apiKeys.a))
      .send([llm('q-1', 1), llm('q-2', 1)])
      .then((r) => r);
    await new Promise((r) => setTimeout(r, 200));
    // Tenant B: A's own next request would be refused for its share (429) before the bound.
    const refused = await slow.request
      .post('/api/usage/ingest')
      .set(key(slow.apiKeys.b))
      .send([llm('q-3', 1), llm('q-4', 1)]);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    release();
    expect((await first).status).toBe(202);
  });

  it('counts accepted and rejected events on /metrics', async () => {
    const res = await api.request.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/meterplane_ingest_events_accepted_total \d+/);
    expect(res.text).toContain('meterplane_ingest_events_rejected_total{reason="invalid"} 1');
    expect(res.text).toContain('meterplane_ingest_events_rejected_total{reason="forbidden"}');
    expect(res.text).toContain('meterplane_ingest_batch_rows_bucket');
    expect(res.text).toContain('meterplane_ingest_flush_seconds_bucket');
    expect(res.text).toContain('meterplane_ingest_queue_rows 0');
  });
});
