import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudEvent } from 'cloudevents';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import { IngestClient, type ClientWarning } from '../../packages/ingest-client/src/index.ts';

// Events built with the official `cloudevents` SDK go through the client to the real API
// unchanged: their own ids (the SDK assigns one), sources and times are what the API stores and
// deduplicates on. The SDK's own emitter is covered in api/ingest/ingest.int.test.ts.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let server: Server;
let url: string;

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  const meter = await api.request
    .post('/api/meters')
    .set('Authorization', `Bearer ${api.tokens.admin}`)
    .send({ code: 'ce_tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens' });
  expect(meter.status).toBe(201);
  server = createServer(api.app.koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all([db?.drop(), ch?.dispose()]);
});

const OCT = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };
const llm = (tokens: number, extra: Record<string, unknown> = {}) =>
  new CloudEvent({
    type: 'llm',
    source: '/chat-service',
    subject: api.tenants.a.externalId,
    time: '2026-10-05T11:00:00Z',
    data: { tokens },
    ...extra,
  });

describe('@meterplane/ingest-client with the cloudevents SDK', () => {
  it('sends SDK-built CloudEvents under their own ids and sources; a redelivered one is stored and counted once', async () => {
    const warnings: ClientWarning[] = [];
    const client = new IngestClient({ url, apiKey: api.apiKeys.a, onWarning: (w) => warnings.push(w) });
    const events = [llm(10), llm(20), llm(30)];
    const outcomes = [...events, events[0]!].map((e) => client.track(e));
    const unmetered = client.track(new CloudEvent({ type: 'ce.unmetered', source: '/chat-service', data: { x: 1 } }));
    await client.close();

    expect((await Promise.all(outcomes)).map((o) => [o.id, o.sent])).toEqual([...events, events[0]!].map((e) => [e.id, true]));
    expect(await unmetered).toMatchObject({ sent: true, warnings: [{ type: 'ce.unmetered' }] });
    expect(warnings).toEqual([expect.objectContaining({ type: 'ce.unmetered' })]);

    const rs = await ch.client.query({
      query:
        'SELECT event_id, source, count() AS n FROM usage_events WHERE event_type = {t:String} GROUP BY event_id, source ORDER BY event_id',
      query_params: { t: 'llm' },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual(
      events
        .map((e) => e.id)
        .sort()
        .map((id) => ({ event_id: id, source: '/chat-service', n: '1' })),
    );
    const summary = await api.request
      .get('/api/usage/summary')
      .query({ ...OCT, meter: 'ce_tokens' })
      .set('X-API-Key', api.apiKeys.a);
    expect(summary.body.items).toEqual([expect.objectContaining({ meter: 'ce_tokens', value: '60', events: 3 })]);
  });

  it('reports the API refusing one CloudEvent with its field, and still sends its neighbours', async () => {
    const client = new IngestClient({ url, apiKey: api.apiKeys.a });
    const good = llm(5);
    const bad = llm(1, { data: { tokens: 'not a number' } });
    const outcomes = [client.track(good), client.track(bad)];
    await client.close();
    const [sent, refused] = await Promise.all(outcomes);
    expect(sent).toMatchObject({ id: good.id, sent: true });
    expect(refused).toMatchObject({ id: bad.id, sent: false, reason: 'refused', status: 400, errors: [{ field: 'data.tokens' }] });
    const stored = await ch.client.query({
      query: 'SELECT event_id FROM usage_events WHERE event_id IN ({ids:Array(String)})',
      query_params: { ids: [good.id, bad.id] },
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([{ event_id: good.id }]);
  });

  it('refuses a whole batch for an API key of another tenant (403), final and never retried', async () => {
    const client = new IngestClient({ url, apiKey: api.apiKeys.b });
    const outcome = client.track(llm(1)); // subject: tenant A
    await client.close();
    expect(await outcome).toMatchObject({ sent: false, reason: 'refused', status: 403, attempts: 1 });
  });
});
