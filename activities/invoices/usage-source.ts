import { mapBounded } from '../../domain/concurrency/index.ts';
import type { MeteredUsage } from '../../domain/billing/index.ts';

/**
 * One meter's usage for one tenant in [from, to), deduplicated exactly as billing requires.
 * `groupBy`: groupBy properties of the meter that rate cards price by; the answer then carries
 * each property's values (`dimensions`).
 */
export type UsageQuery = { tenantId: string; meter: string; from: Date; to: Date; groupBy?: readonly string[] };

/** A window of a batched read: the meter is the batch's. */
export type UsageWindowQuery = Omit<UsageQuery, 'meter' | 'groupBy'>;

/** The quantity as an exact decimal string, the number of deduplicated events behind it, and (grouped) per value. */
export type MeasuredUsage = MeteredUsage;

/**
 * Where invoicing reads usage from. The worker passes the metering reader over ClickHouse
 * (db/clickhouse/usage-reader.ts); the interface keeps invoicing independent of how a meter
 * aggregates (count, sum, max, unique count, latest).
 */
export interface UsageSource {
  read(query: UsageQuery): Promise<MeasuredUsage>;
  /**
   * Optional: one meter's usage in several windows (any tenants) at once. One answer per window
   * in the order given, or that window's own error (its meter is not defined, its quantity does
   * not fit); a rejection means the batch as a whole failed.
   */
  readWindows?(meter: string, windows: readonly UsageWindowQuery[]): Promise<(MeasuredUsage | Error)[]>;
}

/** Windows one batched read takes: a query's parameters stay small (a page of tenants' budgets). */
export const WINDOWS_PER_READ = 200;
/** Reads (batched or single) one activity has in flight at once. */
export const USAGE_READS_AT_ONCE = 4;

type Batch = { meter: string; at: number[] };

/**
 * Every query's usage, or its own failure, in the order asked: the queries of one meter go
 * out as batched reads (up to WINDOWS_PER_READ windows each) when the source has them, else one
 * by one, at most USAGE_READS_AT_ONCE at a time. A batch that fails as a whole is read again
 * window by window, so one window that breaks the query (one tenant's data) fails alone.
 * `progress` is called after each read (the activity's heartbeat).
 */
export async function readUsageBatch(
  source: UsageSource,
  queries: readonly UsageQuery[],
  progress: () => void = () => {},
): Promise<PromiseSettledResult<MeasuredUsage>[]> {
  const settled = new Array<PromiseSettledResult<MeasuredUsage>>(queries.length);
  const one = async (i: number) => {
    try {
      settled[i] = { status: 'fulfilled', value: await source.read(queries[i]!) };
    } catch (reason) {
      settled[i] = { status: 'rejected', reason };
    }
    progress();
  };
  const readWindows = source.readWindows?.bind(source);
  if (!readWindows) {
    await mapBounded(
      queries.map((_, i) => i),
      USAGE_READS_AT_ONCE,
      one,
    );
    return settled;
  }
  const byMeter = new Map<string, number[]>();
  // A grouped read (a rate card's values) is a query of its own; the batched reads answer totals.
  const grouped = queries.flatMap((q, i) => (q.groupBy?.length ? [i] : []));
  queries.forEach((q, i) => {
    if (!q.groupBy?.length) byMeter.set(q.meter, [...(byMeter.get(q.meter) ?? []), i]);
  });
  await mapBounded(grouped, USAGE_READS_AT_ONCE, one);
  const batches: Batch[] = [];
  for (const [meter, at] of byMeter)
    for (let k = 0; k < at.length; k += WINDOWS_PER_READ) batches.push({ meter, at: at.slice(k, k + WINDOWS_PER_READ) });
  await mapBounded(batches, USAGE_READS_AT_ONCE, async ({ meter, at }) => {
    let answers: (MeasuredUsage | Error)[];
    try {
      answers = await readWindows(
        meter,
        at.map((i) => ({ tenantId: queries[i]!.tenantId, from: queries[i]!.from, to: queries[i]!.to })),
      );
    } catch (reason) {
      if (at.length === 1) {
        settled[at[0]!] = { status: 'rejected', reason };
        progress();
      } else {
        for (const i of at) await one(i);
      }
      return;
    }
    at.forEach((i, k) => {
      const answer = answers[k]!;
      settled[i] = answer instanceof Error ? { status: 'rejected', reason: answer } : { status: 'fulfilled', value: answer };
    });
    progress();
  });
  return settled;
}

/** Every query's usage in the order asked, batched as readUsageBatch does; the first failure fails them all. */
export async function readAllUsage(source: UsageSource, queries: readonly UsageQuery[], progress?: () => void): Promise<MeasuredUsage[]> {
  const settled = await readUsageBatch(source, queries, progress);
  return settled.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
}
