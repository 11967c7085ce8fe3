// npm run bench:ingest — the ingest benchmark (issue 4). Never part of `npm test`.
//
// Everything runs on this machine, load only to 127.0.0.1, every loop bounded in count and
// time. Each phase that opens the embedded ClickHouse runs in its own process, because
// the engine binds one data directory per process:
//   A. a real API server process (embedded ClickHouse) takes batched (1,000 events per
//      request) and then single-event load from autocannon; afterwards the server is
//      stopped and rows in ClickHouse are compared with the events acknowledged;
//   B. the same load on the same server with bare inserts and no deduplication: the naive
//      Koa + JSON.parse + group-commit prototype that deduplicating ingest is compared with;
//   C. the same server with storage disabled: the HTTP + parse + validate ceiling;
//   D. the writer straight into the engine (deduplicating, and bare): the engine ceilings;
//   F. (in this process) GET /api/usage/summary for one tenant-month, for a tenant with 1×
//      and one with 10× the history, each against the plain aggregation (no deduplication)
//      of the same month's rows run as a raw engine query.
// Results: bench/results/ingest.json and bench/results/ingest.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { pino } from 'pino';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import { startEmbeddedPostgres } from '../../db/postgres/embedded.ts';
import { migratePostgres } from '../../db/postgres/migrate.ts';
import { appRoleUrl, enableAppRoleLogin } from '../../db/postgres/app-role.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import { canonicalDecimal, parseMeter } from '../../domain/metering/index.ts';
import { createTestApi, TEST_AUTH } from '../../test/harness/api.ts';
import type { TestDatabase } from '../../test/harness/postgres.ts';
import { freePort } from '../../test/harness/global-setup.ts';
import { createApp } from '../../api/app.ts';
import { createMeteringRuntime } from '../../api/ingest/metering-runtime.ts';
import { renderReport } from './report.ts';

const ROOT = join(import.meta.dirname, '../..');
const SERVER = join(ROOT, 'test/harness/ingest-server.ts');
const CEILING = join(import.meta.dirname, 'engine-ceiling.ts');
const BATCH_EVENTS = 1_000;
const BATCH_REQUESTS = Number(process.env.BENCH_BATCH_REQUESTS ?? 2_000);
const SINGLE_REQUESTS = Number(process.env.BENCH_SINGLE_REQUESTS ?? 40_000);
const MONTH_ROWS = Number(process.env.BENCH_MONTH_ROWS ?? 500_000);
const HISTORY_ROWS = Number(process.env.BENCH_HISTORY_ROWS ?? 4_000_000);
const HISTORY_FACTOR = 10;
const SUMMARY_SAMPLES = 40;
const PHASE_TIMEOUT_MS = 180_000;
const CONNECTIONS_BATCHED = Number(process.env.BENCH_CONNECTIONS_BATCHED ?? 64);
const CONNECTIONS_SINGLE = Number(process.env.BENCH_CONNECTIONS_SINGLE ?? 64);
const FLUSH_ROWS = process.env.INGEST_FLUSH_ROWS ?? '20000';

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

const loadAtStart = loadavg().map((n) => round(n, 2));
const work = await mkdtemp(join(tmpdir(), 'meterplane-bench-'));
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

// PostgreSQL: API keys, tenants, meters.
log('starting embedded PostgreSQL');
const pg = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), port: await freePort() });
await migratePostgres(pg.ownerUrl);
await enableAppRoleLogin(pg.ownerUrl, 'bench-app-password');
const appUrl = appRoleUrl(pg.ownerUrl, 'bench-app-password');
const pool = await createPgPool(appUrl, { maxPoolSize: 4 });
const seeded = await createTestApi({ db: { pool } as TestDatabase, clickhouse: {} as ClickHouseClient });
const tenantId = seeded.tenants.a.id;
const apiKey = seeded.apiKeys.a;
await metersRepository.insert(
  pool,
  parseMeter({ code: 'tokens', name: 'Tokens', eventType: 'api_call', aggregation: 'sum', valueProperty: 'tokens', groupBy: ['model'] }),
);

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; lines: AsyncIterator<string> }> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, DATABASE_URL: appUrl, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  return { child, url: `http://127.0.0.1:${(JSON.parse(first.value as string) as { port: number }).port}`, lines };
}

async function stopServer(s: { child: ChildProcess; lines: AsyncIterator<string> }): Promise<{ rows: number; accepted: number }> {
  s.child.kill('SIGTERM');
  const report = await s.lines.next();
  await once(s.child, 'exit');
  children.delete(s.child);
  return JSON.parse(report.value as string) as { rows: number; accepted: number };
}

async function load(name: string, options: Parameters<typeof autocannon>[0]): Promise<Result> {
  log(`load: ${name}`);
  const run = autocannon({ timeout: 30, ...options });
  const guard = setTimeout(() => run.stop(), PHASE_TIMEOUT_MS);
  const result = await run;
  clearTimeout(guard);
  return result;
}

const eventTime = new Date(Date.now() - 3_600_000).toISOString();
let idSeq = 0;
const batchBody = () => {
  const parts: string[] = [];
  for (let i = 0; i < BATCH_EVENTS; i++) {
    const n = idSeq++;
    parts.push(`{"id":"b-${n}","type":"api_call","time":"${eventTime}","data":{"tokens":${n % 1000},"model":"m${n % 3}","region":"eu"}}`);
  }
  return `[${parts.join(',')}]`;
};
// Bodies are made before the clock starts so the load generator does not compete with the
// server for the two cores; a pool is reused, each request with its own id prefix, so every
// event is a first delivery (redeliveries are stored apart, not as events).
const bodies = Array.from({ length: 300 }, batchBody);
const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
let bodyIndex = 0;
const batchedRequest = {
  method: 'POST',
  path: '/api/usage/ingest',
  headers,
  setupRequest: (r: object) => ({ ...r, body: bodies[bodyIndex % bodies.length]!.replaceAll('"id":"b-', `"id":"r${bodyIndex++}-`) }),
};
let single = 0;
const singleRequest = {
  method: 'POST',
  path: '/api/usage/ingest',
  headers,
  setupRequest: (r: object) => ({
    ...r,
    body: `{"id":"s-${single++}","type":"api_call","time":"${eventTime}","data":{"tokens":${single % 1000},"model":"m1"}}`,
  }),
};

const summarise = (r: Result, eventsPerRequest: number) => ({
  requests: r['2xx'] + r.non2xx,
  acknowledged: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  seconds: round(r.duration, 2),
  requestsPerSecond: round(r['2xx'] / r.duration, 0),
  eventsPerSecond: round((r['2xx'] * eventsPerRequest) / r.duration, 0),
  latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
});

// A. Durable ingest through a real server.
const serverA = await startServer({ CH_PATH: join(work, 'ch-a'), INGEST_FLUSH_ROWS: FLUSH_ROWS });
await load('warm-up', { url: serverA.url, connections: 4, amount: 20, requests: [batchedRequest] });
const batched = await load(`batched, ${BATCH_REQUESTS} requests of ${BATCH_EVENTS} events`, {
  url: serverA.url,
  connections: CONNECTIONS_BATCHED,
  amount: BATCH_REQUESTS,
  requests: [batchedRequest],
});
const singles = await load(`single events, ${SINGLE_REQUESTS} requests`, {
  url: serverA.url,
  connections: CONNECTIONS_SINGLE,
  amount: SINGLE_REQUESTS,
  requests: [singleRequest],
});
const storedA = await stopServer(serverA);
const acknowledgedA = 20 * BATCH_EVENTS + batched['2xx'] * BATCH_EVENTS + singles['2xx'];

// B. The naive prototype: the same server and load, bare inserts, no deduplication.
const serverB = await startServer({ CH_PATH: join(work, 'ch-b'), INGEST_STORAGE: 'plain', INGEST_FLUSH_ROWS: FLUSH_ROWS });
await load('warm-up (naive)', { url: serverB.url, connections: 4, amount: 20, requests: [batchedRequest] });
const naiveBatched = await load('batched, naive prototype', {
  url: serverB.url,
  connections: CONNECTIONS_BATCHED,
  amount: BATCH_REQUESTS,
  requests: [batchedRequest],
});
const naiveSingles = await load('single events, naive prototype', {
  url: serverB.url,
  connections: CONNECTIONS_SINGLE,
  amount: SINGLE_REQUESTS,
  requests: [singleRequest],
});
await stopServer(serverB);

// C. The same route with storage disabled.
const serverC = await startServer({ CH_PATH: join(work, 'ch-c'), INGEST_STORAGE: 'none', INGEST_FLUSH_ROWS: FLUSH_ROWS });
await load('warm-up (no storage)', { url: serverC.url, connections: 4, amount: 20, requests: [batchedRequest] });
const noStorage = await load('batched, storage disabled', {
  url: serverC.url,
  connections: CONNECTIONS_BATCHED,
  amount: BATCH_REQUESTS,
  requests: [batchedRequest],
});
const noStorageSingle = await load('single events, storage disabled', {
  url: serverC.url,
  connections: CONNECTIONS_SINGLE,
  amount: SINGLE_REQUESTS,
  requests: [singleRequest],
});
await stopServer(serverC);

// D. The engine ceilings: the deduplicating writer, and bare inserts.
async function engineCeiling(mode: 'dedup' | 'plain') {
  log(`engine ceiling: ${mode} inserts`);
  const child = spawn(
    process.execPath,
    [CEILING, join(work, `ch-d-${mode}`), String(BATCH_REQUESTS * BATCH_EVENTS), FLUSH_ROWS, '2', mode],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  const result = JSON.parse((await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string) as {
    rows: number;
    seconds: number;
    rowsPerSecond: number;
  };
  await once(child, 'exit');
  children.delete(child);
  return result;
}
const ceiling = await engineCeiling('dedup');
const plainCeiling = await engineCeiling('plain');

if (process.env.BENCH_SKIP_SUMMARY) {
  const show = (name: string, r: Result, per: number) => log(`${name}: ${JSON.stringify(summarise(r, per))}`);
  show('batched', batched, BATCH_EVENTS);
  show('single', singles, 1);
  show('batched, no storage', noStorage, BATCH_EVENTS);
  show('single, no storage', noStorageSingle, 1);
  log(`engine ceiling ${JSON.stringify(ceiling)}; rows ${JSON.stringify(storedA)} vs acknowledged ${acknowledgedA}`);
  await pool.end();
  await pg.stop();
  await rm(work, { recursive: true, force: true });
  process.exit(0);
}

// F. Summary: two tenants in one table, each with MONTH_ROWS events in June 2026; tenant A has
// HISTORY_ROWS older events, tenant B ten times as many. Rows are written straight into
// usage_events as ingest leaves them (first deliveries only); 1 % of the events also have a
// redelivery, sent three months later with another payload, in usage_redeliveries.
const ch = await connectClickHouse({ kind: 'embedded', path: join(work, 'ch-f') });
await migrateClickHouse(ch.client);
const tenantB = seeded.tenants.b.id;
const measured = [
  { name: '1x', tenantId, apiKey, historyRows: HISTORY_ROWS },
  { name: '10x', tenantId: tenantB, apiKey: seeded.apiKeys.b, historyRows: HISTORY_ROWS * HISTORY_FACTOR },
];
const MONTH_START = Date.UTC(2026, 5, 1);
const MONTH_MS = 30 * 86_400_000;
const HISTORY_MS = 2 * 365 * 86_400_000;
const chunk = 5_000_000;
const generatedAt = performance.now();
async function generate(tenant: string, prefix: string, rows: number, fromMs: number, spanMs: number) {
  for (let start = 0; start < rows; start += chunk) {
    await ch.client.command({
      query: `INSERT INTO usage_events (tenant_id, event_id, event_type, event_time, subject, source, data, ingested_at)
        SELECT {tenant:String}, concat({prefix:String}, toString(number)), 'api_call',
               fromUnixTimestamp64Milli(toInt64({from:Int64} + intDiv(number * {span:Int64}, {rows:Int64})), 'UTC'),
               '', 'bench', concat('{"tokens":', toString(number % 1000), ',"model":"m', toString(number % 3), '"}'),
               fromUnixTimestamp64Micro(toInt64({from:Int64} * 1000 + intDiv(number * {span:Int64}, {rows:Int64}) * 1000 + 5000), 'UTC')
        FROM numbers(${start}, ${Math.min(chunk, rows - start)})`,
      query_params: { tenant, prefix, from: fromMs, span: spanMs, rows },
    });
  }
}
for (const t of measured) {
  log(`summary: generating ${MONTH_ROWS.toLocaleString()} month and ${t.historyRows.toLocaleString()} older events for tenant ${t.name}`);
  await generate(t.tenantId, 'm-', MONTH_ROWS, MONTH_START, MONTH_MS);
  await generate(t.tenantId, 'h-', t.historyRows, MONTH_START - HISTORY_MS, HISTORY_MS);
}
await ch.client.command({
  query: `INSERT INTO usage_redeliveries SELECT tenant_id, event_id, event_type, event_time + toIntervalDay(90), subject, source, '{"tokens":999,"model":"m9"}',
            ingested_at + toIntervalDay(90), event_type, event_time, ingested_at
          FROM usage_events WHERE cityHash64(event_id) % 100 = 0`,
});
log(`generated in ${round((performance.now() - generatedAt) / 1000)} s; merging (OPTIMIZE FINAL) to a steady state`);
await ch.client.command({ query: 'OPTIMIZE TABLE usage_events FINAL', clickhouse_settings: { optimize_throw_if_noop: 0 } });

const noTemporal = new Proxy(
  {},
  {
    get: (_t, p) =>
      p === 'then'
        ? undefined
        : () => {
            throw new Error('no Temporal in the benchmark');
          },
  },
) as TemporalClient;
const metering = createMeteringRuntime({ pg: pool, clickhouse: ch.client });
const app = createApp({
  logger: pino({ level: 'warn' }),
  pg: pool,
  clickhouse: ch.client,
  temporal: noTemporal,
  auth: TEST_AUTH,
  metering,
});
const http = createServer(app.koa.callback());
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const summaryUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/api/usage/summary?meter=tokens&from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z`;
const W = `tenant_id = {tenant:String} AND event_type = 'api_call' AND event_time >= '2026-06-01 00:00:00' AND event_time < '2026-07-01 00:00:00'`;
// The baseline of the targets: the plain aggregation of the month's rows, no deduplication.
const rawPlain = `SELECT count() AS events, toString(sum(toDecimal128OrNull(JSONExtractRaw(data, 'tokens'), 12))) AS value FROM usage_events WHERE ${W}`;
const rawPlainCount = `SELECT count() AS events FROM usage_events WHERE ${W}`;
// The same plain aggregation over the typed value column reads take their values from (migration 0005).
const rawPlainTyped = `SELECT count() AS events, toString(sum(data_numbers['tokens'])) AS value FROM usage_events WHERE ${W}`;
const rawQuery = async (query: string, tenant: string) => {
  const rs = await ch.client.query({ query, query_params: { tenant }, format: 'JSONEachRow' });
  return (await rs.json<{ events: string; value?: string }>())[0]!;
};
const timed = async <T>(f: () => Promise<T>) => {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
};
const summaryRequest = async (key: string) => {
  const res = await fetch(summaryUrl, { headers: { 'x-api-key': key } });
  if (res.status !== 200) throw new Error(`summary answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { items: { value: string; events: number }[] };
};
for (let i = 0; i < 3; i++) for (const t of measured) await Promise.all([summaryRequest(t.apiKey), rawQuery(rawPlain, t.tenantId)]);
type Samples = { api: number[]; plain: number[]; plainCount: number[]; plainTyped: number[] };
const samples = new Map<string, Samples>(measured.map((t) => [t.name, { api: [], plain: [], plainCount: [], plainTyped: [] }]));
const answers = new Map<string, { api: { value: string; events: number }; plain: { events: string; value?: string } }>();
log(`summary: ${SUMMARY_SAMPLES} samples each, interleaved`);
for (let i = 0; i < SUMMARY_SAMPLES; i++) {
  for (const t of measured) {
    const s = samples.get(t.name)!;
    const api = await timed(() => summaryRequest(t.apiKey));
    s.api.push(api.ms);
    const plain = await timed(() => rawQuery(rawPlain, t.tenantId));
    s.plain.push(plain.ms);
    s.plainCount.push((await timed(() => rawQuery(rawPlainCount, t.tenantId))).ms);
    s.plainTyped.push((await timed(() => rawQuery(rawPlainTyped, t.tenantId))).ms);
    answers.set(t.name, { api: api.value.items[0]!, plain: plain.value });
  }
}
const tenantRows = new Map<string, number>();
const monthRedeliveries = new Map<string, number>();
for (const t of measured) {
  tenantRows.set(
    t.name,
    Number((await rawQuery('SELECT count() AS events FROM usage_events WHERE tenant_id = {tenant:String}', t.tenantId)).events),
  );
  const redelivered = `SELECT count() AS events FROM usage_redeliveries WHERE tenant_id = {tenant:String} AND winner_event_time >= '2026-06-01 00:00:00' AND winner_event_time < '2026-07-01 00:00:00'`;
  monthRedeliveries.set(t.name, Number((await rawQuery(redelivered, t.tenantId)).events));
}
const tableRows = Number((await rawQuery('SELECT count() AS events FROM usage_events', '')).events);
http.close();
await metering.stop();
await ch.close();
await pool.end();
await pg.stop();
await rm(work, { recursive: true, force: true });

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(pct(s, 50)), p99: round(pct(s, 99)) };
};
const batchedA = summarise(batched, BATCH_EVENTS);
const singleA = summarise(singles, 1);
const batchedB = summarise(naiveBatched, BATCH_EVENTS);
const singleB = summarise(naiveSingles, 1);
const batchedC = summarise(noStorage, BATCH_EVENTS);
const singleC = summarise(noStorageSingle, 1);
const summaries = measured.map((t) => {
  const s = samples.get(t.name)!;
  const answer = answers.get(t.name)!;
  const api = stats(s.api);
  const plain = stats(s.plain);
  return {
    history: t.name,
    tenantRows: tenantRows.get(t.name)!,
    monthEvents: answer.api.events,
    duplicatesInMonth: monthRedeliveries.get(t.name)!,
    apiMs: api,
    plainSumMs: plain,
    plainCountMs: stats(s.plainCount),
    plainTypedSumMs: stats(s.plainTyped),
    ratioToPlainP50: round(api.p50 / plain.p50, 2),
    ratioToPlainTypedP50: round(api.p50 / stats(s.plainTyped).p50, 2),
    apiAnswer: answer.api.value,
    plainAnswer: canonicalDecimal(answer.plain.value!),
    sameAnswer: answer.api.value === canonicalDecimal(answer.plain.value!) && answer.api.events === Number(answer.plain.events),
  };
});
const [s1, s10] = summaries as [(typeof summaries)[0], (typeof summaries)[0]];
const results = {
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    at: new Date().toISOString(),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map((n) => round(n, 2)),
  },
  batched: {
    ...batchedA,
    ofEngineCeiling: round(batchedA.eventsPerSecond / ceiling.rowsPerSecond, 3),
    ofHttpCeiling: round(batchedA.eventsPerSecond / batchedC.eventsPerSecond, 3),
    ofNaive: round(batchedA.eventsPerSecond / batchedB.eventsPerSecond, 3),
  },
  single: {
    ...singleA,
    ofHttpCeiling: round(singleA.requestsPerSecond / singleC.requestsPerSecond, 3),
    ofNaive: round(singleA.requestsPerSecond / singleB.requestsPerSecond, 3),
  },
  naive: { batched: batchedB, single: singleB },
  httpCeiling: { batched: batchedC, single: singleC },
  engineCeiling: {
    rows: ceiling.rows,
    seconds: round(ceiling.seconds, 2),
    rowsPerSecond: round(ceiling.rowsPerSecond, 0),
    plainRowsPerSecond: round(plainCeiling.rowsPerSecond, 0),
    batchRows: Number(FLUSH_ROWS),
    concurrency: 2,
  },
  settings: {
    flushRows: Number(FLUSH_ROWS),
    flushMs: 20,
    flushConcurrency: 2,
    connectionsBatched: CONNECTIONS_BATCHED,
    connectionsSingle: CONNECTIONS_SINGLE,
  },
  consistency: {
    acknowledgedEvents: acknowledgedA,
    rowsInClickHouse: storedA.rows,
    serverAccepted: storedA.accepted,
    equal: acknowledgedA === storedA.rows,
  },
  summary: {
    tableRows,
    monthRows: MONTH_ROWS,
    historyRows: HISTORY_ROWS,
    historyFactor: HISTORY_FACTOR,
    tenants: summaries,
    historyEffectP50: round(s10.apiMs.p50 / s1.apiMs.p50, 2),
  },
  targets: {
    batchedAtLeast60PercentOfEngine: batchedA.eventsPerSecond >= 0.6 * ceiling.rowsPerSecond,
    batchedAtLeast150k: batchedA.eventsPerSecond >= 150_000,
    singleAtLeast8kReqPerSecond: singleA.requestsPerSecond >= 8_000,
    singleP99AtMost50ms: singleA.latencyMs.p99 <= 50,
    batchedAtLeast0_9xNaive: batchedA.eventsPerSecond >= 0.9 * batchedB.eventsPerSecond,
    summaryP50AtMost2xPlain: summaries.every((t) => t.apiMs.p50 <= 2 * t.plainSumMs.p50),
    summaryP50AtMost100ms: s1.apiMs.p50 <= 100,
    tenfoldHistoryAtMost1_2x: s10.apiMs.p50 <= 1.2 * s1.apiMs.p50,
    summarySameAnswer: summaries.every((t) => t.sameAnswer),
    rowsEqualAcknowledged: acknowledgedA === storedA.rows,
  },
};

const md = renderReport(results);
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(join(ROOT, 'bench/results/ingest.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(ROOT, 'bench/results/ingest.md'), md);
process.stdout.write(`\n${md}\n`);
process.exit(0);
