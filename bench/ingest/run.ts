// npm run bench:ingest — the ingest benchmark (issue 4). Never part of `npm test`.
//
// Everything runs on this machine, load only to 127.0.0.1, every loop bounded in count and
// time. Each phase that opens the embedded ClickHouse runs in its own process, because
// the engine binds one data directory per process:
//   A. a real API server process (embedded ClickHouse) takes batched (1,000 events per
//      request) and then single-event load from autocannon; afterwards the server is
//      stopped and rows in ClickHouse are compared with the events acknowledged;
//   C. the same server with storage disabled: the HTTP + parse + validate ceiling;
//   D. raw inserts straight into the engine: the engine ceiling;
//   F. (in this process) GET /api/usage/summary for one tenant-month over a table of 20M
//      events, against the same deduplicating aggregation run as a raw engine query.
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
const SUMMARY_ROWS = Number(process.env.BENCH_SUMMARY_ROWS ?? 20_000_000);
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
await metersRepository.insert(pool, parseMeter({ code: 'tokens', name: 'Tokens', eventType: 'api_call', aggregation: 'sum', valueProperty: 'tokens', groupBy: ['model'] }));

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; lines: AsyncIterator<string> }> {
  const child = spawn(process.execPath, [SERVER], { env: { ...process.env, DATABASE_URL: appUrl, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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
// server for the two cores; a pool is reused (redeliveries are legal and still rows).
const bodies = Array.from({ length: 300 }, batchBody);
const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
let bodyIndex = 0;
const batchedRequest = { method: 'POST', path: '/api/usage/ingest', headers, setupRequest: (r: object) => ({ ...r, body: bodies[bodyIndex++ % bodies.length] }) };
let single = 0;
const singleRequest = {
  method: 'POST', path: '/api/usage/ingest', headers,
  setupRequest: (r: object) => ({ ...r, body: `{"id":"s-${single++}","type":"api_call","time":"${eventTime}","data":{"tokens":${single % 1000},"model":"m1"}}` }),
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
const batched = await load(`batched, ${BATCH_REQUESTS} requests of ${BATCH_EVENTS} events`, { url: serverA.url, connections: CONNECTIONS_BATCHED, amount: BATCH_REQUESTS, requests: [batchedRequest] });
const singles = await load(`single events, ${SINGLE_REQUESTS} requests`, { url: serverA.url, connections: CONNECTIONS_SINGLE, amount: SINGLE_REQUESTS, requests: [singleRequest] });
const storedA = await stopServer(serverA);
const acknowledgedA = 20 * BATCH_EVENTS + batched['2xx'] * BATCH_EVENTS + singles['2xx'];

// C. The same route with storage disabled.
const serverC = await startServer({ CH_PATH: join(work, 'ch-c'), INGEST_STORAGE: 'none', INGEST_FLUSH_ROWS: FLUSH_ROWS });
await load('warm-up (no storage)', { url: serverC.url, connections: 4, amount: 20, requests: [batchedRequest] });
const noStorage = await load('batched, storage disabled', { url: serverC.url, connections: CONNECTIONS_BATCHED, amount: BATCH_REQUESTS, requests: [batchedRequest] });
const noStorageSingle = await load('single events, storage disabled', { url: serverC.url, connections: CONNECTIONS_SINGLE, amount: SINGLE_REQUESTS, requests: [singleRequest] });
await stopServer(serverC);

// D. The engine ceiling.
log('engine ceiling: raw inserts');
const ceilingChild = spawn(process.execPath, [CEILING, join(work, 'ch-d'), String(BATCH_REQUESTS * BATCH_EVENTS), FLUSH_ROWS, '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
children.add(ceilingChild);
const ceiling = JSON.parse((await createInterface({ input: ceilingChild.stdout! })[Symbol.asyncIterator]().next()).value as string) as { rows: number; seconds: number; rowsPerSecond: number };
await once(ceilingChild, 'exit');

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

// F. Summary over 20M events, in this process (the raw query must use the same engine).
log(`summary: generating ${SUMMARY_ROWS.toLocaleString()} events`);
const ch = await connectClickHouse({ kind: 'embedded', path: join(work, 'ch-f') });
await migrateClickHouse(ch.client);
const TENANTS = 10;
const SPAN_MS = 365 * 86_400_000;
const chunk = 5_000_000;
const generatedAt = performance.now();
for (let start = 0; start < SUMMARY_ROWS; start += chunk) {
  // Tenant n % 10 (tenant 0 is the measured one) over 365 days from 2025-12-01; every 100th
  // event of each tenant is a redelivery of that tenant's previous event, ~16 s later.
  await ch.client.command({
    query: `INSERT INTO usage_events (tenant_id, event_id, event_type, event_time, subject, source, data, ingested_at)
      SELECT if(number % ${TENANTS} = 0, {tenant:String}, concat('00000000-0000-4000-8000-', leftPad(toString(number % ${TENANTS}), 12, '0'))),
             concat('e-', toString(if(intDiv(number, ${TENANTS}) % 100 = 99, number - ${TENANTS}, number))), 'api_call',
             toDateTime64('2025-12-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(intDiv(number * ${Math.floor(SPAN_MS / SUMMARY_ROWS * TENANTS)}, ${TENANTS})),
             '', 'bench', concat('{"tokens":', toString(number % 1000), ',"model":"m', toString(number % 3), '"}'),
             toDateTime64('2025-12-01 00:00:00', 6, 'UTC') + toIntervalMicrosecond(number)
      FROM numbers(${start}, ${Math.min(chunk, SUMMARY_ROWS - start)})`,
    query_params: { tenant: tenantId },
  });
}
log(`generated in ${round((performance.now() - generatedAt) / 1000)} s; merging (OPTIMIZE FINAL) to a steady state`);
await ch.client.command({ query: 'OPTIMIZE TABLE usage_events FINAL', clickhouse_settings: { optimize_throw_if_noop: 0 } });

const noTemporal = new Proxy({}, { get: (_t, p) => (p === 'then' ? undefined : () => { throw new Error('no Temporal in the benchmark'); }) }) as TemporalClient;
const metering = createMeteringRuntime({ pg: pool, clickhouse: ch.client });
const app = createApp({ logger: pino({ level: 'warn' }), pg: pool, clickhouse: ch.client, temporal: noTemporal, auth: TEST_AUTH, metering });
const http = createServer(app.koa.callback());
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const summaryUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/api/usage/summary?meter=tokens&from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z`;
const W = `tenant_id = {tenant:String} AND event_type = 'api_call' AND event_time >= '2026-06-01 00:00:00' AND event_time < '2026-07-01 00:00:00'`;
const rawDedup = `SELECT count() AS events, toString(sum(toDecimal256(f.3, 12))) AS value FROM (
    SELECT event_key, argMin(tuple(event_type, event_time, toDecimal128OrNull(JSONExtractRaw(data, 'tokens'), 12)), ingested_at) AS f
    FROM usage_events PREWHERE tenant_id = {tenant:String} AND event_key IN (SELECT event_key FROM usage_events WHERE ${W})
    GROUP BY event_key)
  WHERE f.1 = 'api_call' AND f.2 >= '2026-06-01 00:00:00' AND f.2 < '2026-07-01 00:00:00'
  SETTINGS use_index_for_in_with_subqueries = 0`;
const rawNaive = `SELECT count() AS events, toString(sum(toDecimal128OrNull(JSONExtractRaw(data, 'tokens'), 12))) AS value FROM usage_events WHERE ${W}`;
const rawNaiveCount = `SELECT count() AS events FROM usage_events WHERE ${W}`;
const rawQuery = async (query: string) => {
  const rs = await ch.client.query({ query, query_params: { tenant: tenantId }, format: 'JSONEachRow' });
  return (await rs.json<{ events: string; value?: string }>())[0]!;
};
const timed = async <T>(f: () => Promise<T>) => {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
};
const summaryRequest = async () => {
  const res = await fetch(summaryUrl, { headers: { 'x-api-key': apiKey } });
  if (res.status !== 200) throw new Error(`summary answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { items: { value: string; events: number }[] };
};
for (let i = 0; i < 3; i++) await Promise.all([summaryRequest(), rawQuery(rawDedup), rawQuery(rawNaive)]);
const samples = { summary: [] as number[], raw: [] as number[], naive: [] as number[], naiveCount: [] as number[] };
let lastSummary: Awaited<ReturnType<typeof summaryRequest>> | undefined;
let lastRaw: { events: string; value?: string } | undefined;
let lastNaive: { events: string; value?: string } | undefined;
log(`summary: ${SUMMARY_SAMPLES} samples each, interleaved`);
for (let i = 0; i < SUMMARY_SAMPLES; i++) {
  const s = await timed(summaryRequest);
  samples.summary.push(s.ms);
  lastSummary = s.value;
  const r = await timed(() => rawQuery(rawDedup));
  samples.raw.push(r.ms);
  lastRaw = r.value;
  const n = await timed(() => rawQuery(rawNaive));
  samples.naive.push(n.ms);
  lastNaive = n.value;
  samples.naiveCount.push((await timed(() => rawQuery(rawNaiveCount))).ms);
}
const tenantRows = await rawQuery(`SELECT count() AS events FROM usage_events WHERE tenant_id = {tenant:String}`);
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
const batchedC = summarise(noStorage, BATCH_EVENTS);
const singleC = summarise(noStorageSingle, 1);
const summaryStats = stats(samples.summary);
const rawStats = stats(samples.raw);
const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, at: new Date().toISOString(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg().map((n) => round(n, 2)) },
  batched: { ...batchedA, ofEngineCeiling: round(batchedA.eventsPerSecond / ceiling.rowsPerSecond, 3), ofHttpCeiling: round(batchedA.eventsPerSecond / batchedC.eventsPerSecond, 3) },
  single: { ...singleA, ofHttpCeiling: round(singleA.requestsPerSecond / singleC.requestsPerSecond, 3) },
  httpCeiling: { batched: batchedC, single: singleC },
  engineCeiling: { rows: ceiling.rows, seconds: round(ceiling.seconds, 2), rowsPerSecond: round(ceiling.rowsPerSecond, 0), batchRows: Number(FLUSH_ROWS), concurrency: 2 },
  settings: { flushRows: Number(FLUSH_ROWS), flushMs: 20, flushConcurrency: 2, connectionsBatched: CONNECTIONS_BATCHED, connectionsSingle: CONNECTIONS_SINGLE },
  consistency: { acknowledgedEvents: acknowledgedA, rowsInClickHouse: storedA.rows, serverAccepted: storedA.accepted, equal: acknowledgedA === storedA.rows },
  summary: {
    tableRows: SUMMARY_ROWS, tenantRows: Number(tenantRows.events), tenantMonthEvents: lastSummary!.items[0]!.events,
    apiMs: summaryStats, rawDedupMs: rawStats, rawNaiveSumMs: stats(samples.naive), rawNaiveCountMs: stats(samples.naiveCount),
    ratioP50: round(summaryStats.p50 / rawStats.p50, 2),
    apiAnswer: lastSummary!.items[0],
    rawAnswer: { value: canonicalDecimal(lastRaw!.value!), events: Number(lastRaw!.events) },
    sameAnswer: lastSummary!.items[0]!.value === canonicalDecimal(lastRaw!.value!) && lastSummary!.items[0]!.events === Number(lastRaw!.events),
    deliveriesInMonth: Number(lastNaive!.events),
  },
  targets: {
    batchedAtLeast60PercentOfEngine: batchedA.eventsPerSecond >= 0.6 * ceiling.rowsPerSecond,
    batchedAtLeast150k: batchedA.eventsPerSecond >= 150_000,
    singleAtLeast8kReqPerSecond: singleA.requestsPerSecond >= 8_000,
    singleP99AtMost50ms: singleA.latencyMs.p99 <= 50,
    summaryP50AtMost1_5xRaw: summaryStats.p50 <= 1.5 * rawStats.p50,
    rowsEqualAcknowledged: acknowledgedA === storedA.rows,
  },
};

const md = renderReport(results);
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(join(ROOT, 'bench/results/ingest.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(ROOT, 'bench/results/ingest.md'), md);
process.stdout.write(`\n${md}\n`);
process.exit(0);
