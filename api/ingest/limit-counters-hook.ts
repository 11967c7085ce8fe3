import type { DatabasePool } from 'slonik';
import type { BeforeInsert, PendingRow } from '../../db/clickhouse/usage-writer.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usageLimitsRepository, type LimitDelta, type LimitedMeter, type Settlement } from '../../db/postgres/usage-limits-repository.ts';
import { limitedValueOf } from '../../domain/limits/index.ts';
import { decimalText, parseJsonLossless } from '../../domain/metering/index.ts';
import type { LimitCounters } from '../limits/limit-counters.ts';

/** `YYYY-MM-DD hh:mm:ss.sss` UTC (the row's event time) as a Date. */
const eventDate = (clickhouseTime: string) => new Date(`${clickhouseTime.replace(' ', 'T')}Z`);

/** What a flush adds to the limits' counters: one delta per fresh event and limit it counts for. */
export function limitDeltas(limits: readonly LimitedMeter[], fresh: readonly PendingRow[]): LimitDelta[] {
  const byTenant = Map.groupBy(limits, (l) => l.tenantId);
  const deltas: LimitDelta[] = [];
  for (const p of fresh) {
    const mine = byTenant.get(p.row.tenantId)?.filter((l) => l.meter.eventType === p.row.eventType);
    if (!mine?.length) continue;
    const data = parseJsonLossless(p.row.data);
    for (const l of mine) {
      const value = limitedValueOf(l.meter, p.row.eventType, data);
      if (value !== null && !value.isZero()) deltas.push({ limitId: l.limitId, at: eventDate(p.row.eventTime), value: decimalText(value) });
    }
  }
  return deltas;
}

/**
 * The usage writer's beforeInsert for the usage limits (db/README.md, *Usage limits*): under the
 * flush lock and before ClickHouse gets the events, it reads the flush tenants' limits (no cache:
 * a limit created a moment ago must count this flush), adds each fresh event's value to the
 * existing counter of its window and settles the reservations the batch's events name, in one
 * statement. A crash before the inserts leaves an over-count, which only refuses early and which
 * reconciliation removes. If the inserts fail, the touched counters are recomputed from ClickHouse
 * at once, still under the lock (a failed insert may have committed after all, so subtracting
 * could under-count); if that fails too, the over-count waits for the periodic reconciliation.
 */
export function limitCountersHook(deps: { pg: DatabasePool; counters: LimitCounters }): BeforeInsert {
  return async (fresh, rows) => {
    const tenants = [...new Set(rows.map((r) => r.row.tenantId))];
    const limits = await withOperator(deps.pg, (tx) => usageLimitsRepository.limitsWithMeters(tx, tenants));
    const settlements: Settlement[] = rows.flatMap((r) =>
      r.reservationId ? [{ tenantId: r.row.tenantId, reservationId: r.reservationId }] : [],
    );
    if (limits.length === 0 && settlements.length === 0) return async () => {};
    const deltas = limitDeltas(limits, fresh);
    await withOperator(deps.pg, (tx) => usageLimitsRepository.bump(tx, deltas, settlements));
    return async () => {
      const touched = new Map<string, { tenantId: string; limitId: string; meter: LimitedMeter['meter']; at: Date }>();
      const byId = new Map(limits.map((l) => [l.limitId, l]));
      for (const d of deltas) {
        const l = byId.get(d.limitId)!;
        touched.set(`${d.limitId}\n${d.at.getTime()}`, { tenantId: l.tenantId, limitId: l.limitId, meter: l.meter, at: d.at });
      }
      const counters = await withOperator(deps.pg, async (tx) => {
        const found = [];
        for (const t of touched.values()) {
          const c = await usageLimitsRepository.counterAt(tx, t.limitId, t.at);
          if (c)
            found.push({ tenantId: t.tenantId, limitId: t.limitId, meter: t.meter, span: { start: c.window_start, end: c.window_end } });
        }
        return [...new Map(found.map((f) => [`${f.limitId}\n${f.span.start.getTime()}`, f])).values()];
      });
      await deps.counters.reconcile(counters, true);
    };
  };
}
