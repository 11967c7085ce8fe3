import type { ClickHouseClient } from '@clickhouse/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import type { TestApi } from './api.ts';
import { clickhouseMicroTime, clickhouseTime } from '../../db/clickhouse/time.ts';
import { createUsageEventWriter, pendingRow } from '../../db/clickhouse/usage-writer.ts';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

export type EventRow = {
  tenant_id: string;
  event_id: string;
  event_type: string;
  event_time: string;
  subject: string;
  source: string;
  data: string;
};

/** `n` events of `type` spread evenly over [fromMs, fromMs + spanMs), with ids unique per call. */
export function eventsIn(tenantId: string, type: string, fromMs: number, spanMs: number, n: number, idPrefix: string): EventRow[] {
  return Array.from({ length: n }, (_, i) => ({
    tenant_id: tenantId,
    event_id: `${idPrefix}-${i}`,
    event_type: type,
    event_time: clickhouseTime(fromMs + Math.floor((i * spanMs) / n)),
    subject: tenantId,
    source: 'test',
    data: '{}',
  }));
}

/** Rows as the ingest route takes them (the API key names the tenant). */
export const asIngestEvents = (rows: readonly EventRow[]) =>
  rows.map((r) => ({ id: r.event_id, type: r.event_type, time: `${r.event_time.replace(' ', 'T')}Z` }));

/** Posts events through the real ingest route as the tenant's service (API key), 10,000 per request. */
export async function ingestEvents(request: TestApi['request'], apiKey: string, rows: readonly EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const events = asIngestEvents(rows.slice(i, i + 10_000));
    const res = await request.post('/api/usage/ingest').set('X-API-Key', apiKey).send({ events });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
}

/**
 * Stores events through the production writer (deduplicating, as ingest does), in chunks: for
 * rows ingest cannot take (a tenant that no longer exists). Acceptance stamps follow the rows' order.
 */
export async function insertEvents(client: ClickHouseClient, rows: readonly EventRow[]): Promise<void> {
  const write = createUsageEventWriter(client);
  const stampUs = Date.now() * 1000;
  for (let i = 0; i < rows.length; i += 20_000) {
    await write(
      rows.slice(i, i + 20_000).map((r, j) =>
        pendingRow({
          tenantId: r.tenant_id,
          eventId: r.event_id,
          eventType: r.event_type,
          eventTime: r.event_time,
          subject: r.subject,
          source: r.source,
          data: r.data,
          ingestedAt: clickhouseMicroTime(stampUs + i + j),
        }),
      ),
    );
  }
}

/**
 * A steady baseline: `perBucket` events in every 5-minute bucket of [end − before, end + after)
 * on each of the `days` days before, and on the day of `end` up to `end − 5 min` (so the
 * scanned window [end − 5 min, end) is left for the test to fill).
 */
export function steadyBaseline(
  tenantId: string,
  type: string,
  end: number,
  perBucket: number,
  o: { days?: number; before?: number; after?: number } = {},
): EventRow[] {
  const days = o.days ?? 7;
  const before = o.before ?? 60 * MINUTE;
  const after = o.after ?? 15 * MINUTE;
  const rows: EventRow[] = [];
  for (let day = 0; day <= days; day += 1) {
    const dayEnd = end - day * DAY;
    const last = day === 0 ? dayEnd - 5 * MINUTE : dayEnd + after;
    for (let t = dayEnd - before; t < last; t += 5 * MINUTE)
      rows.push(...eventsIn(tenantId, type, t, 5 * MINUTE, perBucket, `${type}-d${day}-${t}`));
  }
  return rows;
}

/** `perBucket` events in each 5-minute bucket of [fromMs, toMs). */
export function steadyEvents(tenantId: string, type: string, fromMs: number, toMs: number, perBucket: number, tag: string): EventRow[] {
  const rows: EventRow[] = [];
  for (let t = fromMs; t < toMs; t += 5 * MINUTE) rows.push(...eventsIn(tenantId, type, t, 5 * MINUTE, perBucket, `${tag}-${t}`));
  return rows;
}

/**
 * Runs an activity function in a Temporal activity context outside a worker (its `log` and
 * metrics work as in a worker). With `logs`, the warnings and errors it logs are kept there.
 */
export function runActivity<I, R>(fn: (input: I) => Promise<R>, input: I, logs?: LogEntry[]): Promise<R> {
  const env = new MockActivityEnvironment(undefined, logs ? { logger: new DefaultLogger('WARN', (entry) => logs.push(entry)) } : {});
  return env.run(fn, input);
}
