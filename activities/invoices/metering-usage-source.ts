import type { ClickHouseClient } from '@clickhouse/client';
import { readMeterUsage } from '../../db/clickhouse/usage-reader.ts';
import type { Meter } from '../../domain/metering/index.ts';
import { toStoredDecimal } from '../../domain/money/index.ts';
import type { UsageSource } from './usage-source.ts';

/** Finds a meter definition by code for a tenant (the meters table). */
export type FindMeter = (tenantId: string, code: string) => Promise<Meter | null>;

/**
 * Invoicing's usage source: the metering reader over ClickHouse, which deduplicates exactly
 * (the first accepted delivery of an event id wins), so billing and the usage API agree.
 * A meter a plan names but nobody defined is an error that is retried, not zero usage: billing
 * waits until an operator defines it rather than under-billing silently. A negative aggregate
 * (a sum of negative values) is billed as zero usage. A quantity of more than 30 integer digits
 * (more than an invoice line stores) is an OutOfRangeError, which no retry can cure.
 */
export function meteringUsageSource(o: { clickhouse: ClickHouseClient; findMeter: FindMeter }): UsageSource {
  return {
    async read(q) {
      const meter = await o.findMeter(q.tenantId, q.meter);
      if (!meter) throw new Error(`meter ${q.meter} is not defined; define it to bill this period`);
      const usage = await readMeterUsage(o.clickhouse, { tenantId: q.tenantId, meter, from: q.from, to: q.to });
      const quantity = toStoredDecimal(usage.value, `usage of meter ${q.meter}`).isNegative() ? '0' : usage.value;
      return { quantity, eventCount: String(usage.events) };
    },
  };
}
