// Renders bench/results/ingest.json as the table in bench/results/ingest.md, with a note for
// every missed target saying by how much and why. `node bench/ingest/report.ts` re-renders
// the last results without running the benchmark again.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type Latency = { p50: number; p99: number; max: number };
type Load = { eventsPerSecond: number; requestsPerSecond: number; latencyMs: Latency; errors: number; non2xx: number };
export type IngestResults = {
  machine: { at: string; cpus: number; model?: string; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  settings?: { flushRows: number; flushMs: number; flushConcurrency: number; connectionsBatched: number; connectionsSingle: number };
  batched: Load & { ofEngineCeiling: number; ofHttpCeiling: number; ofNaive: number };
  single: Load & { ofHttpCeiling: number; ofNaive: number };
  naive: { batched: Load; single: Load };
  httpCeiling: { batched: Load; single: Load };
  engineCeiling: { rowsPerSecond: number; plainRowsPerSecond: number; batchRows: number; concurrency: number };
  consistency: { acknowledgedEvents: number; rowsInClickHouse: number; equal: boolean };
  summary: {
    tableRows: number;
    monthRows: number;
    historyRows: number;
    historyFactor: number;
    historyEffectP50: number;
    tenants: {
      history: string;
      tenantRows: number;
      monthEvents: number;
      duplicatesInMonth: number;
      ratioToPlainP50: number;
      sameAnswer: boolean;
      apiMs: { p50: number; p99: number };
      plainSumMs: { p50: number; p99: number };
      plainCountMs: { p50: number };
      /** The plain aggregation over the typed value column (absent from runs before it existed). */
      plainTypedSumMs?: { p50: number; p99: number };
      ratioToPlainTypedP50?: number;
    }[];
  };
  targets: Record<string, boolean>;
};

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');

export function renderReport(r: IngestResults): string {
  const s = r.summary;
  const notes: string[] = [];
  const combined = 1 / (1 / r.engineCeiling.rowsPerSecond + 1 / r.httpCeiling.batched.eventsPerSecond);
  if (!r.targets.batchedAtLeast60PercentOfEngine || !r.targets.batchedAtLeast150k) {
    notes.push(
      `- **Batched ingest** reached ${n(r.batched.eventsPerSecond)} events/s: ${Math.round(r.batched.ofEngineCeiling * 100)} % of the engine ceiling (target 60 %) and ${Math.round((r.batched.eventsPerSecond / 150_000) * 100)} % of 150,000/s. ` +
        `Why: on two cores the API's HTTP + JSON work (its ceiling alone: ${n(r.httpCeiling.batched.eventsPerSecond)} events/s) and the engine's parsing and part writing (alone: ${n(r.engineCeiling.rowsPerSecond)} rows/s) share the same CPUs, so the best the two can do together is about ${n(combined)} events/s (1 / (1/HTTP + 1/engine)); ` +
        `the measured rate is ${Math.round((r.batched.eventsPerSecond / combined) * 100)} % of that bound. A 60 % ratio to the engine alone needs the HTTP work to run on other cores than the engine (any ClickHouse server deployment) or a machine where neither ceiling is shared with other work (see the load average).`,
    );
  }
  if (!r.targets.singleAtLeast8kReqPerSecond || !r.targets.singleP99AtMost50ms) {
    notes.push(
      `- **Single-event requests** reached ${n(r.single.requestsPerSecond)} req/s with p99 ${r.single.latencyMs.p99} ms (targets 8,000 req/s, 50 ms). ` +
        `Why: the limit is per-request HTTP cost, not storage: the same route with storage disabled answers ${n(r.httpCeiling.single.requestsPerSecond)} req/s (p99 ${r.httpCeiling.single.latencyMs.p99} ms) here, and the load generator runs on the same two cores. ` +
        `With storage, each request also waits for its group commit (up to INGEST_FLUSH_MS plus one insert), which is where the p99 comes from when the engine competes for CPU.`,
    );
  }
  const [t1, t10] = s.tenants;
  if (!r.targets.batchedAtLeast0_9xNaive) {
    notes.push(
      `- **Deduplicating ingest** reached ${r.batched.ofNaive}× the naive prototype's ${n(r.naive.batched.eventsPerSecond)} events/s (target 0.9×); the engine alone takes ${n(r.engineCeiling.rowsPerSecond)} rows/s deduplicating against ${n(r.engineCeiling.plainRowsPerSecond)} bare.`,
    );
  }
  if (!r.targets.summaryP50AtMost2xPlain || !r.targets.summaryP50AtMost100ms || !r.targets.tenfoldHistoryAtMost1_2x) {
    notes.push(
      `- **Summary**: API p50 ${t1?.apiMs.p50} ms (1×) and ${t10?.apiMs.p50} ms (10×), ${t1?.ratioToPlainP50}× and ${t10?.ratioToPlainP50}× the plain aggregation (targets ≤ 2×, ≤ 100 ms at 1×, 10× history ≤ 1.2× the 1× read: ${s.historyEffectP50}×).`,
    );
  }
  return `# Ingest benchmark

Run: ${r.machine.at}, ${r.machine.cpus} cores (${r.machine.model ?? 'unknown'}), Node ${r.machine.node}. Load average (1/5/15 min) at start ${r.machine.loadAverageAtStart.join(' / ')}, at end ${r.machine.loadAverageAtEnd.join(' / ')}: the machine is shared, and anything above ~2 means the benchmark got only part of the two cores.
Server: one API process on the embedded ClickHouse engine; load from autocannon in another process, on 127.0.0.1${r.settings ? `; INGEST_FLUSH_ROWS ${n(r.settings.flushRows)}, INGEST_FLUSH_MS ${r.settings.flushMs}, INGEST_FLUSH_CONCURRENCY ${r.settings.flushConcurrency}, ${r.settings.connectionsBatched} connections batched, ${r.settings.connectionsSingle} single` : ''}.

| Measure | Result | Ceiling (same run) | Ratio | Target | Met |
| --- | --- | --- | --- | --- | --- |
| Batched durable ingest (1,000 events/request) | ${n(r.batched.eventsPerSecond)} events/s, p50 ${r.batched.latencyMs.p50} ms, p99 ${r.batched.latencyMs.p99} ms | engine ${n(r.engineCeiling.rowsPerSecond)} rows/s (${n(r.engineCeiling.batchRows)}-row inserts, ${r.engineCeiling.concurrency} at once); HTTP+parse ${n(r.httpCeiling.batched.eventsPerSecond)} events/s | ${r.batched.ofEngineCeiling} of engine; ${r.batched.ofHttpCeiling} of HTTP | ≥ 0.6 of engine and ≥ 150,000/s | ${yes(r.targets.batchedAtLeast60PercentOfEngine && r.targets.batchedAtLeast150k)} |
| Single-event requests | ${n(r.single.requestsPerSecond)} req/s, p50 ${r.single.latencyMs.p50} ms, p99 ${r.single.latencyMs.p99} ms | HTTP+parse ${n(r.httpCeiling.single.requestsPerSecond)} req/s (p99 ${r.httpCeiling.single.latencyMs.p99} ms) | ${r.single.ofHttpCeiling} of HTTP | ≥ 8,000 req/s, p99 ≤ 50 ms | ${yes(r.targets.singleAtLeast8kReqPerSecond && r.targets.singleP99AtMost50ms)} |
| Batched ingest against the naive prototype (same server and load, bare inserts, no deduplication) | ${n(r.batched.eventsPerSecond)} events/s | naive ${n(r.naive.batched.eventsPerSecond)} events/s, p99 ${r.naive.batched.latencyMs.p99} ms | ${r.batched.ofNaive}× | ≥ 0.9× | ${yes(r.targets.batchedAtLeast0_9xNaive)} |
| Single events against the naive prototype | ${n(r.single.requestsPerSecond)} req/s | naive ${n(r.naive.single.requestsPerSecond)} req/s | ${r.single.ofNaive}× | | |
| Rows in ClickHouse vs events acknowledged | ${n(r.consistency.rowsInClickHouse)} rows / ${n(r.consistency.acknowledgedEvents)} acknowledged | | | equal | ${yes(r.consistency.equal)} |
${s.tenants.map((t) => `| Summary, one tenant-month, ${t.history} history (${n(t.monthEvents)} events, ${n(t.duplicatesInMonth)} redeliveries ignored; tenant ${n(t.tenantRows)} events; table ${n(s.tableRows)}) | API p50 ${t.apiMs.p50} ms, p99 ${t.apiMs.p99} ms | plain aggregation of the month's rows, no deduplication, raw: p50 ${t.plainSumMs.p50} ms, p99 ${t.plainSumMs.p99} ms | ${t.ratioToPlainP50}× | ≤ 2×${t.history === '1x' ? ', ≤ 100 ms' : ''} | ${yes(t.ratioToPlainP50 <= 2 && (t.history !== '1x' || t.apiMs.p50 <= 100))} |`).join('\n')}
| Month read, 10× history against 1× | ${t10?.apiMs.p50} ms / ${t1?.apiMs.p50} ms | | ${s.historyEffectP50}× | ≤ 1.2× | ${yes(r.targets.tenfoldHistoryAtMost1_2x)} |

Deduplication happens at ingest (db/README.md): usage_events holds only first deliveries, so the summary is a plain aggregation over the month's rows and its cost follows the month, not the history. A bare count() of the same month takes p50 ${t1?.plainCountMs.p50} ms (1×) and ${t10?.plainCountMs.p50} ms (10×); the rest of the plain aggregation is reading and parsing the JSON value.${t1?.plainTypedSumMs ? ` The API reads the typed value column (db/README.md, "Typed properties"); the same plain aggregation over that column takes p50 ${t1.plainTypedSumMs.p50} ms (1×, API ${t1.ratioToPlainTypedP50}× of it) and ${t10?.plainTypedSumMs?.p50} ms (10×, API ${t10?.ratioToPlainTypedP50}×).` : ''} Same answer from API and raw query: ${yes(r.targets.summarySameAnswer)}. The engine alone takes ${n(r.engineCeiling.rowsPerSecond)} rows/s through the deduplicating writer and ${n(r.engineCeiling.plainRowsPerSecond)} rows/s as bare inserts.
Errors: batched ${r.batched.errors}, single ${r.single.errors}; non-2xx: batched ${r.batched.non2xx}, single ${r.single.non2xx}.
${notes.length ? `\n## Missed targets\n\n${notes.join('\n')}\n` : ''}`;
}

if (import.meta.filename === process.argv[1]) {
  const dir = join(import.meta.dirname, '../results');
  const results = JSON.parse(await readFile(join(dir, 'ingest.json'), 'utf8')) as IngestResults;
  await writeFile(join(dir, 'ingest.md'), renderReport(results));
  process.stdout.write(renderReport(results));
}
