import type { ClickHouseClient } from '@clickhouse/client';
import { readMeterUsage, readMeterUsageByWindow, type MeterUsage } from '../../db/clickhouse/usage-reader.ts';
import { mapBounded } from '../../domain/concurrency/index.ts';
import type { Meter } from '../../domain/metering/index.ts';
import { toStoredDecimal } from '../../domain/money/index.ts';
import type { MeasuredUsage, UsageSource } from './usage-source.ts';

/** Finds a meter definition by code for a tenant (the meters table). */
export type FindMeter = (tenantId: string, code: string) => Promise<Meter | null>;

const undefinedMeter = (code: string) => new Error(`meter ${code} is not defined; define it to bill this period`);

/** A negative aggregate (refunds) bills as zero; a quantity no invoice line can store throws. */
function measured(code: string, usage: Pick<MeterUsage, 'value' | 'events'>): MeasuredUsage {
  const quantity = toStoredDecimal(usage.value, `usage of meter ${code}`).isNegative() ? '0' : usage.value;
  return { quantity, eventCount: String(usage.events) };
}

/**
 * Invoicing's usage source: the metering reader over ClickHouse, which deduplicates exactly
 * (the first accepted delivery of an event id wins), so billing and the usage API agree.
 * A meter a plan names but nobody defined is an error that is retried, not zero usage: billing
 * waits until an operator defines it rather than under-billing silently. A negative aggregate
 * (a sum of negative values) is billed as zero usage. A quantity of more than 30 integer digits
 * (more than an invoice line stores) is an OutOfRangeError, which no retry can cure.
 * `readWindows` answers many windows of one meter in one query per meter definition; each of
 * those errors is its window's own.
 */
export function meteringUsageSource(o: { clickhouse: ClickHouseClient; findMeter: FindMeter }): UsageSource {
  return {
    async read(q) {
      const meter = await o.findMeter(q.tenantId, q.meter);
      if (!meter) throw undefinedMeter(q.meter);
      const range = { tenantId: q.tenantId, meter, from: q.from, to: q.to };
      if (!q.groupBy?.length) return measured(q.meter, await readMeterUsage(o.clickhouse, range));
      // One grouped read per property: each rate card's values on their own, not their combinations.
      const reads = await Promise.all(q.groupBy.map((p) => readMeterUsage(o.clickhouse, { ...range, groupBy: [p] })));
      return {
        ...measured(q.meter, reads[0]!),
        dimensions: Object.fromEntries(
          q.groupBy.map((p, i) => [p, (reads[i]!.groups ?? []).map((g) => ({ value: g.key[p] ?? null, ...measured(q.meter, g) }))]),
        ),
      };
    },

    async readWindows(code, windows) {
      const tenants = [...new Set(windows.map((w) => w.tenantId))];
      const found = await mapBounded(tenants, 8, (tenantId) => o.findMeter(tenantId, code));
      const meterOf = new Map(tenants.map((t, i) => [t, found[i] ?? null]));
      // The windows whose tenants see the same definition share a query.
      const byDefinition = new Map<string, { meter: Meter; at: number[] }>();
      const answers = new Array<MeasuredUsage | Error>(windows.length);
      windows.forEach((w, i) => {
        const meter = meterOf.get(w.tenantId)!;
        if (!meter) {
          answers[i] = undefinedMeter(code);
          return;
        }
        const key = JSON.stringify(meter);
        const group = byDefinition.get(key) ?? { meter, at: [] };
        group.at.push(i);
        byDefinition.set(key, group);
      });
      for (const { meter, at } of byDefinition.values()) {
        const usage = await readMeterUsageByWindow(o.clickhouse, { meter, windows: at.map((i) => windows[i]!) });
        at.forEach((i, k) => {
          try {
            answers[i] = measured(code, usage[k]!);
          } catch (err) {
            answers[i] = err as Error;
          }
        });
      }
      return answers;
    },
  };
}
