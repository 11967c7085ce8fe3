// npm run bench:authorize — real-time usage authorization (issue 17 §2). Never part of `npm test`.
//
// The real stack in this process: an embedded PostgreSQL, the embedded ClickHouse, the API on a
// loopback port. One tenant, one hard limit on one meter (every authorization locks the same
// counter row: the hardest case), autocannon with BENCH_CONNECTIONS (50) clients for
// BENCH_SECONDS, each request with a fresh idempotency key. Floors, in the same run:
//   - http: the same server answering a trivial authenticated route (GET /api/auth/me);
//   - pg: the bare single-row `UPDATE … RETURNING` on the same PostgreSQL from as many clients,
//     each its own autocommit statement on one hot row (what one authorization must at least do).
// Afterwards the counter's `reserved` is compared with the quantities authorized.
// Results: bench/results/authorize.json and bench/results/authorize.md.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../db/postgres/embedded.ts';
import { migratePostgres } from '../../db/postgres/migrate.ts';
import { appRoleUrl, enableAppRoleLogin } from '../../db/postgres/app-role.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import { createTestApi } from '../../test/harness/api.ts';
import type { TestDatabase } from '../../test/harness/postgres.ts';
import { freePort } from '../../test/harness/global-setup.ts';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const POOL = Number(process.env.BENCH_PG_POOL ?? 20);
const QUANTITY = '1.5';

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const loadAtStart = loadavg().map((n) => round(n, 2));

const work = await mkdtemp(join(tmpdir(), 'meterplane-bench-authorize-'));
log('starting embedded PostgreSQL and ClickHouse');
const server = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), port: await freePort() });
await migratePostgres(server.ownerUrl);
await enableAppRoleLogin(server.ownerUrl, 'bench-app-password');
const pool = await createPgPool(appRoleUrl(server.ownerUrl, 'bench-app-password'), { maxPoolSize: POOL });
const ch = await connectClickHouse({ kind: 'embedded', path: join(work, 'ch') });
await migrateClickHouse(ch.client);
await metersRepository.insert(
  pool,
  parseMeter({ code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens' }),
);
const api = await createTestApi({ db: { pool } as TestDatabase, clickhouse: ch.client });
const tenantId = api.tenants.a.id;
const created = await api.request
  .post(`/api/tenants/${tenantId}/usage-limits`)
  .set({ Authorization: `Bearer ${api.tokens.admin}` })
  .send({ meter: 'tokens', window: 'month', limit: '1000000000', mode: 'hard' });
if (created.status !== 201) throw new Error(`creating the limit: ${created.status} ${JSON.stringify(created.body)}`);

const owner = new pg.Pool({ connectionString: server.ownerUrl, max: CONNECTIONS });
const http = createServer(api.app.koa.callback());
const port = await freePort();
await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${port}`;

const summary = (r: Result) => ({
  requests: r.requests.total,
  perSecond: round(r.requests.total / r.duration, 0),
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  errors: r.errors + r.timeouts,
  non2xx: r.non2xx,
});

async function cannon(options: Parameters<typeof autocannon>[0]): Promise<Result> {
  return autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
}

// Warm-up (JIT, pool, the counter row), not measured.
await cannon({
  url,
  duration: 2,
  requests: [
    {
      method: 'POST',
      path: '/api/usage/authorize',
      headers: { 'content-type': 'application/json', 'x-api-key': api.apiKeys.a },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ meter: 'tokens', quantity: QUANTITY, idempotencyKey: randomUUID() }) }),
    },
  ],
});
const reservedBefore = await reserved();

log(`authorize: ${CONNECTIONS} clients, ${SECONDS} s`);
const authorizeRun = await cannon({
  url,
  requests: [
    {
      method: 'POST',
      path: '/api/usage/authorize',
      headers: { 'content-type': 'application/json', 'x-api-key': api.apiKeys.a },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ meter: 'tokens', quantity: QUANTITY, idempotencyKey: randomUUID() }) }),
    },
  ],
});
// Once the last answers committed, the counter and the reservations read in one snapshot.
await new Promise((r) => setTimeout(r, 1000));
const snapshot = (
  await owner.query(
    "SELECT (SELECT reserved::text FROM usage_limit_counters) AS r, (SELECT count(*)::int FROM usage_reservations WHERE state = 'open' AND authorized) AS n",
  )
).rows[0] as { r: string; n: number };
const reservedAfter = snapshot.r;
const authorized = snapshot.n;

log('floor http: GET /api/auth/me');
const httpFloor = await cannon({ url: `${url}/api/auth/me`, headers: { authorization: `Bearer ${api.tokens.admin}` } });

log('floor pg: bare UPDATE … RETURNING on one row');
await owner.query('CREATE TABLE bench_floor (id int PRIMARY KEY, n numeric NOT NULL)');
await owner.query('INSERT INTO bench_floor VALUES (1, 0)');
const latencies: number[] = [];
const until = Date.now() + SECONDS * 1000;
await Promise.all(
  Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < until) {
      const t = performance.now();
      await owner.query('UPDATE bench_floor SET n = n + 1 WHERE id = 1 RETURNING n');
      latencies.push(performance.now() - t);
    }
  }),
);
latencies.sort((a, b) => a - b);
const pgFloor = {
  requests: latencies.length,
  perSecond: round(latencies.length / SECONDS, 0),
  p50Ms: round(latencies[Math.floor(latencies.length * 0.5)]!, 2),
  p99Ms: round(latencies[Math.floor(latencies.length * 0.99)]!, 2),
  maxMs: round(latencies.at(-1)!, 2),
};
await owner.end();

// The owner connection inspects what row-level security hides from the app role.
async function reserved(): Promise<string> {
  return String((await owner.query('SELECT reserved::text AS r FROM usage_limit_counters')).rows[0].r);
}

const a = summary(authorizeRun);
const h = summary(httpFloor);
const results = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, loadAtStart, loadAtEnd: loadavg().map((n) => round(n, 2)) },
  settings: { connections: CONNECTIONS, seconds: SECONDS, pgPool: POOL, quantity: QUANTITY },
  authorize: a,
  floors: { http: h, pg: pgFloor },
  ratios: {
    authorizeVsHttpFloor: round(a.perSecond / h.perSecond, 3),
    authorizeVsPgFloor: round(a.perSecond / pgFloor.perSecond, 3),
  },
  exactness: {
    openReservations: authorized,
    reservedBeforeRun: reservedBefore,
    reservedAfterRun: reservedAfter,
    // Every open reservation holds QUANTITY on the one counter.
    reservedMatchesReservations: Number(reservedAfter) === authorized * Number(QUANTITY),
  },
  target: { p99Ms: 15, perSecond: 2000, met: a.p99Ms <= 15 && a.perSecond >= 2000 },
};

const md = `# bench:authorize

${results.at}, ${results.machine.cpus} CPUs, load ${loadAtStart.join(' / ')} at start, ${results.machine.loadAtEnd.join(' / ')} at end.
${CONNECTIONS} concurrent clients for ${SECONDS} s each, one tenant, one hard limit (one hot counter row), pool of ${POOL}.

| What | Requests/s | p50 ms | p99 ms | max ms | errors / non-2xx |
| --- | ---: | ---: | ---: | ---: | ---: |
| POST /api/usage/authorize | ${a.perSecond} | ${a.p50Ms} | ${a.p99Ms} | ${a.maxMs} | ${a.errors} / ${a.non2xx} |
| floor: GET /api/auth/me (same server) | ${h.perSecond} | ${h.p50Ms} | ${h.p99Ms} | ${h.maxMs} | ${h.errors} / ${h.non2xx} |
| floor: bare UPDATE … RETURNING, one row | ${pgFloor.perSecond} | ${pgFloor.p50Ms} | ${pgFloor.p99Ms} | ${pgFloor.maxMs} | |

Authorize at ${results.ratios.authorizeVsHttpFloor}× the HTTP floor and ${results.ratios.authorizeVsPgFloor}× the PostgreSQL floor.
Target (p99 ≤ 15 ms and ≥ 2,000/s): ${results.target.met ? 'met' : 'not met'}.
Exactness: ${authorized} open reservations of ${QUANTITY}; the counter holds ${reservedAfter} reserved (${results.exactness.reservedMatchesReservations ? 'matches' : 'DOES NOT MATCH'}).
`;
await mkdir(join(import.meta.dirname, '../results'), { recursive: true });
await writeFile(join(import.meta.dirname, '../results/authorize.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(import.meta.dirname, '../results/authorize.md'), md);
process.stdout.write(md);

http.close();
// The API harness keeps pools of its own (no handle to end them here), whose idle connections
// PostgreSQL's shutdown terminates: that is the end of the run, not a failure of it.
process.on('uncaughtException', (error) => {
  if (/terminating connection due to administrator command/.test(String(error))) return;
  throw error;
});
await pool.end();
await ch.close();
await server.stop();
await rm(work, { recursive: true, force: true });
process.exit(0);
