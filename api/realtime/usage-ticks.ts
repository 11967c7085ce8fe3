import type { DatabasePool } from 'slonik';
import type { Logger } from 'pino';
import { publishEvents, type UsageTickEvent } from '../../db/postgres/realtime-events.ts';

/**
 * The hook ingest calls once a batch of events is acknowledged: counts per tenant and event
 * type. It must be cheap and must never fail the ingest request.
 */
export interface UsageTickCounter {
  record(tenantId: string, eventType: string, n: number): void;
}

export type UsageTickPublisher = UsageTickCounter & {
  /** Publishes what was counted since the last flush (one usage.tick per tenant). */
  flush(): Promise<void>;
  /** Stops the timer and publishes the last counts. */
  stop(): Promise<void>;
};

/**
 * Counts in memory and publishes one `usage.tick` per tenant per interval (1 s) through
 * NOTIFY, so a browser on any API replica sees it. Each process publishes its own counts; the
 * WebSocket hub merges ticks of one tenant so a connection still gets at most one per second.
 */
export function createUsageTickPublisher(
  pg: DatabasePool,
  o: { logger?: Logger; intervalMs?: number; now?: () => Date } = {},
): UsageTickPublisher {
  let pending = new Map<string, Map<string, number>>();
  const now = o.now ?? (() => new Date());
  let flushing: Promise<void> = Promise.resolve();

  const flushOnce = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const at = now().toISOString();
    const events = [...batch].map(([tenantId, byType]): UsageTickEvent => ({
      type: 'usage.tick',
      tenantId,
      at,
      counts: Object.fromEntries(byType),
    }));
    try {
      await publishEvents(pg, events);
    } catch (err) {
      o.logger?.warn({ err, tenants: events.length }, 'could not publish usage ticks');
    }
  };
  const flush = () => (flushing = flushing.then(flushOnce));

  const timer = setInterval(() => void flush(), o.intervalMs ?? 1_000);
  timer.unref();

  return {
    record(tenantId, eventType, n) {
      if (!(n > 0)) return;
      let byType = pending.get(tenantId);
      if (!byType) pending.set(tenantId, (byType = new Map()));
      byType.set(eventType, (byType.get(eventType) ?? 0) + n);
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
