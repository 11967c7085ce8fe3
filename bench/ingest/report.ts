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
  batched: Load & { ofEngineCeiling: number; ofHttpCeiling: number };
  single: Load & { ofHttpCeiling: number };
  httpCeiling: { batched: Load; single: Load };
  engineCeiling: { rowsPerSecond: number; batchRows: number; concurrency: number };
  consistency: { acknowledgedEvents: number; rowsInClickHouse: number; equal: boolean };
  summary: {
    tableRows: number; tenantRows: number; tenantMonthEvents: number; deliveriesInMonth: number; ratioP50: number; sameAnswer: boolean;
    apiMs: { p50: number; p99: number }; rawDedupMs: { p50: number; p99: number }; rawNaiveSumMs: { p50: number }; rawNaiveCountMs: { p50: number };
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
  if (!r.targets.summaryP50AtMost1_5xRaw) {
    notes.push(`- **Summary** p50 is ${s.ratioP50}× the raw query (target 1.5×).`);
  }
  return `# Ingest benchmark

Run: ${r.machine.at}, ${r.machine.cpus} cores (${r.machine.model ?? 'unknown'}), Node ${r.machine.node}. Load average (1/5/15 min) at start ${r.machine.loadAverageAtStart.join(' / ')}, at end ${r.machine.loadAverageAtEnd.join(' / ')}: the machine is shared, and anything above ~2 means the benchmark got only part of the two cores.
Server: one API process on the embedded ClickHouse engine; load from autocannon in another process, on 127.0.0.1${r.settings ? `; INGEST_FLUSH_ROWS ${n(r.settings.flushRows)}, INGEST_FLUSH_MS ${r.settings.flushMs}, INGEST_FLUSH_CONCURRENCY ${r.settings.flushConcurrency}, ${r.settings.connectionsBatched} connections batched, ${r.settings.connectionsSingle} single` : ''}.

| Measure | Result | Ceiling (same run) | Ratio | Target | Met |
| --- | --- | --- | --- | --- | --- |
| Batched durable ingest (1,000 events/request) | ${n(r.batched.eventsPerSecond)} events/s, p50 ${r.batched.latencyMs.p50} ms, p99 ${r.batched.latencyMs.p99} ms | engine ${n(r.engineCeiling.rowsPerSecond)} rows/s (${n(r.engineCeiling.batchRows)}-row inserts, ${r.engineCeiling.concurrency} at once); HTTP+parse ${n(r.httpCeiling.batched.eventsPerSecond)} events/s | ${r.batched.ofEngineCeiling} of engine; ${r.batched.ofHttpCeiling} of HTTP | ≥ 0.6 of engine and ≥ 150,000/s | ${yes(r.targets.batchedAtLeast60PercentOfEngine && r.targets.batchedAtLeast150k)} |
| Single-event requests | ${n(r.single.requestsPerSecond)} req/s, p50 ${r.single.latencyMs.p50} ms, p99 ${r.single.latencyMs.p99} ms | HTTP+parse ${n(r.httpCeiling.single.requestsPerSecond)} req/s (p99 ${r.httpCeiling.single.latencyMs.p99} ms) | ${r.single.ofHttpCeiling} of HTTP | ≥ 8,000 req/s, p99 ≤ 50 ms | ${yes(r.targets.singleAtLeast8kReqPerSecond && r.targets.singleP99AtMost50ms)} |
| Rows in ClickHouse vs events acknowledged | ${n(r.consistency.rowsInClickHouse)} rows / ${n(r.consistency.acknowledgedEvents)} acknowledged | | | equal | ${yes(r.consistency.equal)} |
| Summary, one tenant-month (${n(s.tenantMonthEvents)} events; tenant ${n(s.tenantRows)}; table ${n(s.tableRows)}) | API p50 ${s.apiMs.p50} ms, p99 ${s.apiMs.p99} ms | same deduplicating query, raw: p50 ${s.rawDedupMs.p50} ms, p99 ${s.rawDedupMs.p99} ms | ${s.ratioP50}× | ≤ 1.5× | ${yes(r.targets.summaryP50AtMost1_5xRaw)} |

For context: the same month without deduplication (every delivery, ${n(s.deliveriesInMonth)} rows) takes p50 ${s.rawNaiveSumMs.p50} ms as a sum and ${s.rawNaiveCountMs.p50} ms as a bare count(). The difference is the price of exact first-delivery-wins deduplication: each read looks up every delivery of the window's event ids in the tenant's whole history (${n(s.tenantRows)} rows here), so a redelivery with another time can neither move an event nor count it twice. Same answer from API and raw query: ${yes(s.sameAnswer)}.
Errors: batched ${r.batched.errors}, single ${r.single.errors}; non-2xx: batched ${r.batched.non2xx}, single ${r.single.non2xx}.
${notes.length ? `\n## Missed targets\n\n${notes.join('\n')}\n` : ''}`;
}

if (import.meta.filename === process.argv[1]) {
  const dir = join(import.meta.dirname, '../results');
  const results = JSON.parse(await readFile(join(dir, 'ingest.json'), 'utf8')) as IngestResults;
  await writeFile(join(dir, 'ingest.md'), renderReport(results));
  process.stdout.write(renderReport(results));
}
