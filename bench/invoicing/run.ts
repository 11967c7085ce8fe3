// npm run bench:invoicing — the invoicing benchmark (issue 6). Never part of `npm test`.
//
// Everything runs on this machine: an embedded PostgreSQL, the embedded ClickHouse engine, the
// Temporal CLI dev server and one billing worker (the real workflows and activities) in this
// process. BENCH_SUBSCRIPTIONS (default 1,000) tenants each get a daily subscription whose
// period ends at the same instant T; from T we measure how fast invoices become final
// (numbered, taxed, PDF rendered). Then, in the same run and on the same server and worker
// process, as many no-op workflows wait for an instant T2 and then make the same number of
// empty activity calls as a subscription run made to close its period: the Temporal ceiling.
// Two shapes of Temporal, each in its own process: BENCH_TEMPORAL=dev (the CLI dev server on
// SQLite) and BENCH_TEMPORAL=postgres (the Temporal server binary on its own PostgreSQL, as
// production runs it; temporal-postgres.ts, skipped with a message when it is not built). With
// neither set, this runs both, one after the other. BENCH_TEMPORAL_ADDRESS runs it against an
// existing Temporal server instead; BENCH_TEMPORAL_PID names that server's process so its CPU
// share is measured. Results: bench/results/<name>.json and .md (BENCH_RESULTS_NAME, default
// invoicing), one entry per shape, each run replacing its own.
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../../db/postgres/embedded.ts';
import { migratePostgres } from '../../db/postgres/migrate.ts';
import { appRoleUrl, enableAppRoleLogin } from '../../db/postgres/app-role.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import { createUsageEventWriter, pendingRow } from '../../db/clickhouse/usage-writer.ts';
import { clickhouseMicroTime, clickhouseTime } from '../../db/clickhouse/time.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import { planSchema } from '../../domain/pricing/index.ts';
import { DEV_SQLITE_PRAGMAS, startTemporalDevServer } from '../../cli/temporal/dev-server.ts';
import { BILLING_WORKER_SLOTS, createBillingWorker, type WorkerSlots } from '../../cli/temporal/create-worker.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { freePort } from '../../test/harness/global-setup.ts';
import { dunningWorkflowId, subscriptionWorkflowId } from '../../workflows/contract.ts';
import { measureCpuShare } from './cpu-share.ts';
import { activityTiming } from './activity-timing.ts';
import { findTemporalBinaries, startTemporalOnPostgres } from './temporal-postgres.ts';

const N = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1_000);
const CREATE_CONCURRENCY = 16;
const FINAL_TIMEOUT_MS = 300_000;
const TARGET_SECONDS = 120;
const TARGET_RATIO = 0.4;
const DAY = 86_400_000;
const EXTERNAL_TEMPORAL = process.env.BENCH_TEMPORAL_ADDRESS;
const SHAPES = ['dev', 'postgres'] as const;
type Shape = (typeof SHAPES)[number] | 'external';

if (!EXTERNAL_TEMPORAL && process.env.BENCH_TEMPORAL === undefined) {
  // Both shapes, each in a fresh process, so one's leftovers cannot slow the other.
  let failed = 0;
  for (const shape of SHAPES) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_TEMPORAL: shape },
      stdio: 'inherit',
    });
    if (child.status !== 0) failed += 1;
  }
  process.exit(failed === 0 ? 0 : 1);
}
const SHAPE: Shape = EXTERNAL_TEMPORAL ? 'external' : (process.env.BENCH_TEMPORAL as Shape);
if (!(SHAPES as readonly string[]).includes(SHAPE) && SHAPE !== 'external')
  throw new Error(`BENCH_TEMPORAL must be one of ${SHAPES.join(', ')}`);
const binaries = SHAPE === 'postgres' ? findTemporalBinaries() : null;
if (typeof binaries === 'string') {
  process.stdout.write(`bench:invoicing (postgres) skipped: ${binaries}\n`);
  process.exit(0);
}
const RESULTS_NAME = process.env.BENCH_RESULTS_NAME ?? 'invoicing';
// BENCH_WORKER_SLOTS='{"maxConcurrentWorkflowTaskExecutions":40,...}' tries other slot counts;
// the no-op ceiling worker gets the same ones.
const SLOTS: WorkerSlots = process.env.BENCH_WORKER_SLOTS
  ? { ...BILLING_WORKER_SLOTS, ...(JSON.parse(process.env.BENCH_WORKER_SLOTS) as Partial<WorkerSlots>) }
  : BILLING_WORKER_SLOTS;

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

Runtime.install({ logger: new DefaultLogger('WARN') });
const loadAtStart = loadavg().map((n) => round(n, 2));
const work = await mkdtemp(join(tmpdir(), 'meterplane-bench-invoicing-'));

log(`starting embedded PostgreSQL, ClickHouse and Temporal (${SHAPE})`);
const pg = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), port: await freePort() });
await migratePostgres(pg.ownerUrl);
await enableAppRoleLogin(pg.ownerUrl, 'bench-app-password');
const pool = await createPgPool(appRoleUrl(pg.ownerUrl, 'bench-app-password'), { maxPoolSize: 20 });
const ch = await connectClickHouse({ kind: 'embedded', path: join(work, 'ch') });
await migrateClickHouse(ch.client);
const temporal = EXTERNAL_TEMPORAL
  ? {
      address: EXTERNAL_TEMPORAL,
      pid: process.env.BENCH_TEMPORAL_PID ? Number(process.env.BENCH_TEMPORAL_PID) : undefined,
      setup: `the Temporal server at ${EXTERNAL_TEMPORAL}`,
      stop: async () => {},
    }
  : binaries
    ? await startTemporalOnPostgres(binaries, work, log).catch(async (err: unknown) => {
        await ch.close();
        await pg.stop();
        throw err;
      })
    : {
        ...(await startTemporalDevServer({ dbFile: join(work, 'temporal.db'), port: await freePort(), uiPort: await freePort() })),
        setup: `the Temporal CLI dev server (SQLite file, ${DEV_SQLITE_PRAGMAS.join(', ')})`,
      };
const temporalSetup = temporal.setup;
const cpuPids = { temporalServer: temporal.pid, benchProcess: process.pid };
const nativeConnection = await NativeConnection.connect({ address: temporal.address });
const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });

log('bundling workflows and starting the billing worker');
const timing = activityTiming();
const worker = await createBillingWorker({
  connection: nativeConnection,
  namespace: 'default',
  deps: { pg: pool, clickhouse: ch.client, temporal: client },
  slots: SLOTS,
  interceptors: timing.interceptors,
});
const running = worker.run();

// N tenants, one daily plan (base fee + a per-unit meter), one event per tenant in the period.
await metersRepository.insert(pool, parseMeter({ code: 'calls', name: 'Calls', eventType: 'call', aggregation: 'count' }));
const plan = await withOperator(pool, (tx) =>
  plansRepository.insert(
    tx,
    planSchema.parse({
      code: 'bench-daily',
      name: 'Bench daily',
      currency: 'USD',
      interval: 'day',
      baseFee: '10',
      gracePeriodSeconds: 0,
      charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.01' }],
    }),
  ),
);
const tenantIds = await withOperator(pool, async (tx) => {
  const ids: string[] = [];
  for (let i = 0; i < N; i += 1) ids.push((await tenantsRepository.insert(tx, { name: `Bench ${i}`, taxRate: '0.2' })).id);
  return ids;
});

// All periods end at T: far enough ahead for every subscription to be created first.
const T = Date.now() + Math.max(60_000, N * 120);
const startAt = new Date(T - DAY);
const micros = Date.now() * 1000;
await createUsageEventWriter(ch.client)(
  tenantIds.map((tenantId, i) =>
    pendingRow({
      tenantId,
      eventId: `e-${i}`,
      eventType: 'call',
      eventTime: clickhouseTime(T - 3_600_000),
      subject: '',
      source: 'bench',
      data: '{}',
      ingestedAt: clickhouseMicroTime(micros + i),
    }),
  ),
);

log(`creating ${N} subscriptions (periods end at ${new Date(T).toISOString()})`);
const subscriptions = createSubscriptionsService({ pg: pool, temporal: client });
const created: string[] = [];
// Creating subscriptions of one plan at once can deadlock in PostgreSQL (40P01, seen once in three
// runs of this benchmark): the transaction is rolled back whole, so the bench tries it again, at
// most three times. The deadlocks are counted and reported.
let createDeadlocks = 0;
const createOnce = async (tenantId: string, attempt = 1): Promise<{ id: string }> => {
  try {
    return await subscriptions.create({ tenantId, planId: plan.id, startAt });
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code !== '40P01' || attempt >= 3) throw err;
    createDeadlocks += 1;
    return createOnce(tenantId, attempt + 1);
  }
};
const createStarted = performance.now();
for (let i = 0; i < N; i += CREATE_CONCURRENCY) {
  const batch = tenantIds.slice(i, i + CREATE_CONCURRENCY);
  created.push(...(await Promise.all(batch.map((tenantId) => createOnce(tenantId)))).map((s) => s.id));
}
const createSeconds = (performance.now() - createStarted) / 1000;
const lateStart = Date.now() > T;
log(`created in ${round(createSeconds)} s${lateStart ? ' (AFTER T: the measurement starts late)' : ''}; waiting for T`);

// The app role sees invoices only in a scope: count them as the operator.
const countFinal = () =>
  withOperator(pool, (tx) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM invoices WHERE status <> 'draft'`),
  );
await sleepMs(T - Date.now());
const stopInvoicingCpu = await measureCpuShare(cpuPids, cpus().length);
const load = () => loadavg().map((n) => round(n, 2));
const loadAtPeriodEnd = load();
const progress: { s: number; final: number }[] = [];
let final = 0;
const deadline = Date.now() + FINAL_TIMEOUT_MS;
while (final < N && Date.now() < deadline) {
  await sleepMs(250);
  final = await countFinal();
  progress.push({ s: round((Date.now() - T) / 1000, 2), final });
}
const allFinalSeconds = (Date.now() - T) / 1000;
const invoicingCpu = await stopInvoicingCpu();
const activityTimes = timing.summary();
log(`activity times (ms): ${JSON.stringify(activityTimes)}`);
const loadAtAllFinal = load();
const firstSeconds = progress.find((p) => p.final > 0)?.s ?? null;
const invoicesPerSecond = final / allFinalSeconds;
log(`${final}/${N} final after ${round(allFinalSeconds)} s (${round(invoicesPerSecond)} invoices/s)`);

// How many activity calls closing one period took, read from the subscription invoiced first (it
// had the longest to finish its close): its calls after the period-end timer fired, plus those of
// the dunning child the close started. Any other subscription may still be half way through.
const firstInvoiced = await withOperator(pool, (tx) =>
  tx.maybeOne(sql.type(z.object({ subscription_id: z.string(), id: z.string() }))`
  SELECT subscription_id, id FROM invoices WHERE status <> 'draft' ORDER BY issued_at LIMIT 1`),
);
// Activities the server scheduled, and local activities (run in the worker's workflow task; the
// history holds a marker for each result).
type HistoryEvent = {
  timerFiredEventAttributes?: unknown;
  activityTaskScheduledEventAttributes?: unknown;
  markerRecordedEventAttributes?: { markerName?: string | null } | null;
};
const countCalls = (events: HistoryEvent[]) => ({
  remote: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
  local: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
});
const afterTimer = (events: HistoryEvent[]) => events.slice(events.findIndex((e) => e.timerFiredEventAttributes) + 1);
const closeCalls = firstInvoiced
  ? countCalls(
      afterTimer((await client.workflow.getHandle(subscriptionWorkflowId(firstInvoiced.subscription_id)).fetchHistory()).events ?? []),
    )
  : { remote: 0, local: 0 };
const dunningCalls = firstInvoiced
  ? countCalls(
      (
        await client.workflow
          .getHandle(dunningWorkflowId(firstInvoiced.id))
          .fetchHistory()
          .catch(() => ({ events: [] }))
      ).events ?? [],
    )
  : { remote: 0, local: 0 };
const activityCalls = closeCalls.remote + dunningCalls.remote;
const localCalls = closeCalls.local + dunningCalls.local;
const callsText = (c: { remote: number; local: number }) => `${c.remote} activities + ${c.local} local`;
log(`one close = ${callsText(closeCalls)} in the subscription, ${callsText(dunningCalls)} in its dunning child (from their histories)`);

// The ceiling: the same number of workflows, waiting for one instant, then as many empty calls.
// The billing worker stops first, so closes still in progress do not eat into the ceiling's CPU.
worker.shutdown();
await running;
log('starting the no-op ceiling worker');
const noopQueue = `bench-noop-${randomUUID()}`;
const noopWorker = await Worker.create({
  connection: nativeConnection,
  namespace: 'default',
  taskQueue: noopQueue,
  workflowsPath: fileURLToPath(new URL('./noop-workflow.ts', import.meta.url)),
  activities: { noop: async () => {} },
  ...SLOTS,
});
const noopRunning = noopWorker.run();
const T2 = Date.now() + Math.max(60_000, N * 120);
const noopHandles = [];
for (let i = 0; i < N; i += 50) {
  noopHandles.push(
    ...(await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, () =>
        client.workflow.start('noopCloseWorkflow', {
          taskQueue: noopQueue,
          workflowId: `noop-${randomUUID()}`,
          args: [new Date(T2).toISOString(), activityCalls, localCalls],
        }),
      ),
    )),
  );
}
const noopLateStart = Date.now() > T2;
await sleepMs(T2 - Date.now());
const stopNoopCpu = await measureCpuShare(cpuPids, cpus().length);
const loadAtNoopStart = load();
// Bounded like the invoicing phase: the workflows not done by then are counted as not done.
let noopDone = 0;
const noopResults = Promise.allSettled(
  noopHandles.map((h) =>
    h.result().then(() => {
      noopDone += 1;
    }),
  ),
);
await Promise.race([noopResults, sleepMs(FINAL_TIMEOUT_MS)]);
const noopSeconds = (Date.now() - T2) / 1000;
const noopCpu = await stopNoopCpu();
const loadAtNoopEnd = load();
const ceilingPerSecond = noopDone / noopSeconds;
const ratio = invoicesPerSecond / ceilingPerSecond;
log(
  `no-op ceiling: ${noopDone}/${N} workflows × ${activityCalls} activities + ${localCalls} local in ${round(noopSeconds)} s (${round(ceilingPerSecond)}/s); ratio ${round(ratio, 3)}`,
);

// The rest are ended, and their result calls answered, before the connections close.
if (noopDone < N) await Promise.allSettled(noopHandles.map((h) => h.terminate('benchmark over')));
await Promise.race([noopResults, sleepMs(30_000)]);
noopWorker.shutdown();
await noopRunning;
await nativeConnection.close();
await client.connection.close();
await temporal.stop();
await pool.end();
await ch.close();
await pg.stop();
await rm(work, { recursive: true, force: true });

const loadAtEnd = load();
const results = {
  shape: SHAPE,
  ranAt: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAtStart, loadAtEnd },
  load: { atPeriodEnd: loadAtPeriodEnd, atAllFinal: loadAtAllFinal, atNoopStart: loadAtNoopStart, atNoopEnd: loadAtNoopEnd },
  subscriptions: N,
  createSeconds: round(createSeconds),
  createDeadlocks,
  lateStart,
  final,
  firstFinalSeconds: firstSeconds,
  allFinalSeconds: round(allFinalSeconds, 2),
  invoicesPerSecond: round(invoicesPerSecond, 2),
  callsPerClose: { activities: activityCalls, localActivities: localCalls, subscription: closeCalls, dunning: dunningCalls },
  noopDone,
  noopSeconds: round(noopSeconds, 2),
  noopLateStart,
  ceilingPerSecond: round(ceilingPerSecond, 2),
  ratio: round(ratio, 3),
  targets: { allFinalSeconds: TARGET_SECONDS, ratio: TARGET_RATIO },
  temporal: temporalSetup,
  workerSlots: SLOTS,
  activityTimes,
  cpu: { invoicing: invoicingCpu, noop: noopCpu },
  met: { allFinal: final === N && allFinalSeconds <= TARGET_SECONDS, ratio: ratio >= TARGET_RATIO },
  progress,
};
type Results = typeof results;

// One entry per shape: this run replaces its own and keeps the other's.
const resultsDir = join(import.meta.dirname, '../results');
await mkdir(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, `${RESULTS_NAME}.json`);
const previous: { shapes?: Record<string, Results> } = await readFile(jsonPath, 'utf8').then(
  (t) => JSON.parse(t) as { shapes?: Record<string, Results> },
  () => ({}),
);
const shapes: Record<string, Results> = { ...(previous.shapes ?? {}), [SHAPE]: results };
await writeFile(jsonPath, `${JSON.stringify({ shapes }, null, 2)}\n`);

const yes = (b: boolean) => (b ? 'yes' : 'no');
const pct = (n: number | undefined | null) => (n === undefined || n === null ? '–' : `${round(n * 100)} %`);
const cpuRow = (label: string, c: Results['cpu']['invoicing']) =>
  `| ${label} | ${c.seconds} s | ${pct(c.processes.temporalServer?.shareOfMachine)} (${c.processes.temporalServer?.cpuSeconds ?? '–'} s) | ${pct(c.processes.benchProcess?.shareOfMachine)} (${c.processes.benchProcess?.cpuSeconds ?? '–'} s) | ${pct(c.machineBusy)} |`;
const calls = (c: { remote: number; local: number }) => `${c.remote} activities + ${c.local} local activities`;
const section = (
  r: Results,
) => `## ${r.shape === 'dev' ? 'Dev server (all-in-one stack)' : r.shape === 'postgres' ? 'Production shape: the Temporal server on PostgreSQL' : 'External Temporal server'}

Run: ${r.ranAt}, ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}. Load average (1/5/15 min): at start ${r.machine.loadAtStart.join(' / ')}, at the period end ${r.load.atPeriodEnd.join(' / ')}, when all were final ${r.load.atAllFinal.join(' / ')}, during the ceiling ${r.load.atNoopStart.join(' / ')} to ${r.load.atNoopEnd.join(' / ')}. The machine is shared: above ~${r.machine.cores} the benchmark got only part of the cores.
Setup: embedded PostgreSQL, embedded ClickHouse, ${r.temporal} and one billing worker (${r.workerSlots.maxConcurrentWorkflowTaskExecutions} workflow-task and ${r.workerSlots.maxConcurrentActivityTaskExecutions} activity slots; the no-op worker gets the same), all on this machine. ${r.subscriptions} tenants each have a daily subscription (base fee + one per-unit meter, grace 0) whose period ends at the same instant; each close also starts its dunning child, which charges the built-in gateway.

| Measure | Result | Target | Met |
| --- | --- | --- | --- |
| Time until all ${r.subscriptions} invoices are final (from the common period end) | ${round(r.allFinalSeconds)} s (${r.final}/${r.subscriptions} final; first after ${r.firstFinalSeconds ?? '–'} s) | ≤ ${r.targets.allFinalSeconds} s | ${yes(r.met.allFinal)} |
| Invoices issued per second | ${r.invoicesPerSecond} /s | | |
| No-op ceiling: ${r.subscriptions} workflows × (${r.callsPerClose.activities} empty activities + ${r.callsPerClose.localActivities} empty local activities), as one close made them (subscription: ${calls(r.callsPerClose.subscription)}; dunning: ${calls(r.callsPerClose.dunning)}); same server, same process | ${r.ceilingPerSecond} /s (${r.noopDone}/${r.subscriptions} done in ${round(r.noopSeconds)} s${r.noopLateStart ? '; started late' : ''}) | | |
| Ratio to the ceiling | ${r.ratio} | ≥ ${r.targets.ratio} | ${yes(r.met.ratio)} |

Creating the ${r.subscriptions} subscriptions (API service: a row, then the workflow start) took ${r.createSeconds} s (${r.createDeadlocks} PostgreSQL deadlocks retried)${r.lateStart ? '; it ended after the common period end, so the measurement started late' : ''}.

CPU share of all ${r.machine.cores} cores during each phase (the bench process holds the billing worker, the no-op worker and the embedded ClickHouse engine; PostgreSQL and the other sessions on the machine make up the rest of "all cores busy"):

| Phase | Length | Temporal server | Bench process | All cores busy |
| --- | --- | --- | --- | --- |
${cpuRow('Invoicing (period end until all final)', r.cpu.invoicing)}
${cpuRow('No-op ceiling', r.cpu.noop)}
`;
const ordered = [...SHAPES, 'external'].map((k) => shapes[k]).filter((r): r is Results => r !== undefined);
await writeFile(
  join(resultsDir, `${RESULTS_NAME}.md`),
  `# Invoicing benchmark

\`npm run bench:invoicing\` (bench/invoicing/): ${N} subscriptions closing at the same instant, on each shape of Temporal, against a no-op ceiling measured in the same run. Each shape's entry is from its latest run.

| Shape | All final | Invoices/s | Ceiling/s | Ratio | Load average during invoicing |
| --- | --- | --- | --- | --- | --- |
${ordered.map((r) => `| ${r.shape} | ${r.final}/${r.subscriptions} in ${round(r.allFinalSeconds)} s | ${r.invoicesPerSecond} | ${r.ceilingPerSecond} | ${r.ratio} | ${r.load.atPeriodEnd[0]} to ${r.load.atAllFinal[0]} |`).join('\n')}

${ordered.map(section).join('\n')}`,
);
log(`wrote bench/results/${RESULTS_NAME}.json and bench/results/${RESULTS_NAME}.md (${SHAPE})`);
process.exit(0);
