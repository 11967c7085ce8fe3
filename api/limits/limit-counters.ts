import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { readMeterUsage } from '../../db/clickhouse/usage-reader.ts';
import type { FlushLock } from '../../db/clickhouse/usage-writer.ts';
import { withOperator, withTenant } from '../../db/postgres/tenant-scope.ts';
import { usageLimitsRepository, type LimitRow } from '../../db/postgres/usage-limits-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { limitWindowAt, type LimitWindowSpan } from '../../domain/limits/index.ts';
import type { Meter } from '../../domain/metering/index.ts';
import { createPgFlushLock } from '../ingest/flush-lock.ts';

/** Reconcile at most this many counters per pass. */
export const RECONCILE_BATCH = 200;
/** Counters of windows that ended longer ago than this are left alone by reconciliation. */
export const RECONCILE_HORIZON_MS = 35 * 86_400_000;

/**
 * The counters of the usage limits: created exactly, and corrected. Both read ClickHouse under the
 * tenant's ingest flush lock (api/ingest/flush-lock.ts): while it is held no flush of the tenant
 * runs, and every flush bumps the counters that exist before it inserts, so what ClickHouse holds
 * then is exactly what the counter must say (db/README.md, *Usage limits*).
 */
export function createLimitCounters(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; lock?: FlushLock }) {
  const lock = deps.lock ?? createPgFlushLock(deps.pg);

  const usedIn = async (tenantId: string, meter: Meter, span: LimitWindowSpan) =>
    (await readMeterUsage(deps.clickhouse, { tenantId, meter, from: span.start, to: span.end })).value;

  /** The tenant's current billing period (an active or past-due subscription's), if any. */
  async function billingPeriod(tenantId: string, at: Date): Promise<LimitWindowSpan | null> {
    return withTenant(deps.pg, tenantId, async (tx) => {
      for (const status of ['active', 'past_due'] as const) {
        const subs = await subscriptionsRepository.list(tx, { tenantId, status, limit: 100, offset: 0 });
        const sub = subs.find(
          (s) => s.current_period_start && s.current_period_end && s.current_period_start <= at && at < s.current_period_end,
        );
        if (sub) return { start: sub.current_period_start!, end: sub.current_period_end! };
      }
      return null;
    });
  }

  return {
    /** The window of each limit at `at`. */
    async windowsOf(tenantId: string, limits: readonly LimitRow[], at: Date): Promise<Map<string, LimitWindowSpan>> {
      const period = limits.some((l) => l.window_kind === 'billing_period') ? await billingPeriod(tenantId, at) : null;
      return new Map(limits.map((l) => [l.id, limitWindowAt(l.window_kind, at, period)]));
    },

    /** Creates the missing counters of these limits' windows from the exact usage, under the flush lock. */
    async ensure(tenantId: string, wanted: readonly { limit: LimitRow; meter: Meter; span: LimitWindowSpan }[]) {
      if (wanted.length === 0) return;
      await lock([tenantId], async () => {
        for (const w of wanted) {
          // Another authorization may have made it while this one waited for the lock.
          if (await withTenant(deps.pg, tenantId, (tx) => usageLimitsRepository.counterAt(tx, w.limit.id, w.span.start))) continue;
          const used = await usedIn(tenantId, w.meter, w.span);
          await withTenant(deps.pg, tenantId, (tx) =>
            usageLimitsRepository.createCounter(tx, { limitId: w.limit.id, tenantId, start: w.span.start, end: w.span.end, used }),
          );
        }
      });
    },

    /**
     * Sets these counters' usage to what ClickHouse counts. `locked`: the caller already holds the
     * tenants' flush lock (a failed flush correcting its own bump).
     */
    async reconcile(counters: readonly { tenantId: string; limitId: string; meter: Meter; span: LimitWindowSpan }[], locked = false) {
      const byTenant = Map.groupBy(counters, (c) => c.tenantId);
      for (const [tenantId, list] of byTenant) {
        const work = async () => {
          for (const c of list) {
            const used = await usedIn(tenantId, c.meter, c.span);
            await withTenant(deps.pg, tenantId, (tx) => usageLimitsRepository.setUsed(tx, c.limitId, c.span.start, used));
          }
        };
        if (locked) await work();
        else await lock([tenantId], work);
      }
    },

    /** One bounded reconciliation pass over the least recently reconciled counters (start-up and periodically). */
    async reconcilePass(at = new Date()): Promise<number> {
      const { counters, meters } = await withOperator(deps.pg, async (tx) => {
        const counters = await usageLimitsRepository.countersToReconcile(
          tx,
          new Date(at.getTime() - RECONCILE_HORIZON_MS),
          RECONCILE_BATCH,
        );
        const meters = await usageLimitsRepository.limitsWithMeters(tx, [...new Set(counters.map((c) => c.tenant_id))]);
        return { counters, meters: new Map(meters.map((m) => [m.limitId, m.meter])) };
      });
      const todo = counters
        .filter((c) => meters.has(c.limit_id))
        .map((c) => ({
          tenantId: c.tenant_id,
          limitId: c.limit_id,
          meter: meters.get(c.limit_id)!,
          span: { start: c.window_start, end: c.window_end },
        }));
      await this.reconcile(todo);
      return todo.length;
    },
  };
}

export type LimitCounters = ReturnType<typeof createLimitCounters>;
