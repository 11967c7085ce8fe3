import type { UsageTickEvent } from '../../db/postgres/realtime-events.ts';

export type TickCoalescer = {
  /** Takes one tenant's tick: forwarded at once when that tenant had none for an interval, else merged. */
  offer(event: UsageTickEvent): void;
  /** Forgets tenants idle for more than an interval (their next tick goes out at once anyway). */
  sweep(): void;
  close(): void;
};

type TenantState = { lastSent: number; pending: Record<string, number> | null; timer?: NodeJS.Timeout };

/**
 * usage.tick is merged per tenant so that a client receives at most one per interval per
 * tenant, whatever the number of API replicas publishing: the leading edge goes out at
 * once, then whatever arrives within the interval is summed into one tick at its end.
 */
export function createTickCoalescer(intervalMs: number, emit: (event: UsageTickEvent) => void): TickCoalescer {
  const tenants = new Map<string, TenantState>();

  const flush = (tenantId: string, s: TenantState) => {
    s.timer = undefined;
    const counts = s.pending;
    s.pending = null;
    s.lastSent = Date.now();
    if (counts) emit({ type: 'usage.tick', tenantId, at: new Date(s.lastSent).toISOString(), counts });
  };

  return {
    offer(event) {
      const now = Date.now();
      let s = tenants.get(event.tenantId);
      if (!s) tenants.set(event.tenantId, (s = { lastSent: 0, pending: null }));
      if (!s.pending && now - s.lastSent >= intervalMs) {
        s.lastSent = now;
        return emit(event);
      }
      const pending = (s.pending ??= {});
      for (const [type, n] of Object.entries(event.counts ?? {})) if (typeof n === 'number') pending[type] = (pending[type] ?? 0) + n;
      if (s.timer) return;
      const state = s;
      s.timer = setTimeout(() => flush(event.tenantId, state), Math.max(0, s.lastSent + intervalMs - now));
      s.timer.unref();
    },
    sweep() {
      const now = Date.now();
      for (const [tenantId, s] of tenants) if (!s.pending && !s.timer && now - s.lastSent > intervalMs) tenants.delete(tenantId);
    },
    close() {
      for (const s of tenants.values()) clearTimeout(s.timer);
      tenants.clear();
    },
  };
}
