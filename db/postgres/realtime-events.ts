import pg from 'pg';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/**
 * Live events, fanned out across every API and worker process through PostgreSQL
 * LISTEN/NOTIFY (no extra broker). Any process publishes with `publishEvent`; each API
 * process listens with `listenForEvents` and its WebSocket hub forwards what each
 * connection may see (api/realtime).
 *
 * Delivery is at most once and only to listeners connected at the time: a live update, not a
 * log. Published inside a transaction, an event is delivered when (and only if) it commits.
 */
export const REALTIME_CHANNEL = 'meterplane_events';

export const REALTIME_EVENT_TYPES = [
  'usage.tick',
  'alert.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.voided',
  'subscription.updated',
] as const;
export type RealtimeEventType = (typeof REALTIME_EVENT_TYPES)[number];

/**
 * Every event names its type, its tenant and when it happened (ISO 8601); the rest is the
 * event's own payload, for example `usage.tick`'s `counts` or `alert.created`'s `alert`.
 */
export const realtimeEventSchema = z.looseObject({
  type: z.enum(REALTIME_EVENT_TYPES),
  tenantId: z.string().min(1),
  at: z.string().min(1),
});
export type RealtimeEvent = z.infer<typeof realtimeEventSchema>;

/** `usage.tick`: events ingested for a tenant in the last second, per event type. */
export type UsageTickEvent = RealtimeEvent & { type: 'usage.tick'; counts: Record<string, number> };

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_EVENT_BYTES = 7_999;

function payloadOf(event: RealtimeEvent): string {
  const parsed = realtimeEventSchema.parse(event);
  const payload = JSON.stringify(parsed);
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_EVENT_BYTES) throw new Error(`a ${parsed.type} event of ${bytes} bytes is too large for NOTIFY`);
  return payload;
}

/**
 * NOTIFYs the event to every listening process. Pass a transaction to publish on commit.
 * Keep payloads small (ids, status, totals); a payload over 8000 bytes is refused here.
 */
export async function publishEvent(db: CommonQueryMethods, event: RealtimeEvent): Promise<void> {
  await db.query(sql.unsafe`SELECT pg_notify(${REALTIME_CHANNEL}, ${payloadOf(event)})`);
}

/** Several events in one round trip, in order. */
export async function publishEvents(db: CommonQueryMethods, events: readonly RealtimeEvent[]): Promise<void> {
  if (events.length === 0) return;
  const payloads = events.map(payloadOf);
  await db.query(
    sql.unsafe`SELECT pg_notify(${REALTIME_CHANNEL}, p) FROM unnest(${sql.array(payloads, 'text')}) WITH ORDINALITY AS t(p, n) ORDER BY n`,
  );
}

export type EventListener = {
  /** Resolves once LISTEN is in place (the first connection), so nothing published after it is missed. */
  ready: Promise<void>;
  close: () => Promise<void>;
};

export type ListenOptions = {
  /** The app role's URL (same database as the publishers). */
  connectionString: string;
  onEvent: (event: RealtimeEvent) => void;
  onError?: (err: Error) => void;
  /** Reconnect delays grow from this to 30 s (default 500 ms). */
  retryMs?: number;
};

/**
 * One dedicated connection per process holds LISTEN (a pooled connection cannot). When it
 * drops it reconnects with backoff; events published while it was away are not replayed.
 */
export function listenForEvents(o: ListenOptions): EventListener {
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const report = (err: unknown) => o.onError?.(err instanceof Error ? err : new Error(String(err)));

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: o.connectionString });
    client = c;
    c.on('notification', (msg) => {
      if (msg.channel !== REALTIME_CHANNEL || !msg.payload) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(msg.payload);
      } catch {
        return report(new Error('ignored a live event that is not JSON'));
      }
      const event = realtimeEventSchema.safeParse(parsed);
      if (event.success) o.onEvent(event.data);
      else report(new Error(`ignored an invalid live event: ${event.error.issues[0]?.message ?? 'invalid'}`));
    });
    const retry = (err: unknown) => {
      if (closed || client !== c) return;
      report(err);
      client = undefined;
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      const delay = Math.min(30_000, (o.retryMs ?? 500) * 2 ** Math.min(attempt, 6));
      attempt += 1;
      timer = setTimeout(() => void connect(), delay);
      timer.unref();
    };
    c.on('error', retry);
    c.on('end', () => retry(new Error('the live-event connection ended')));
    try {
      await c.connect();
      await c.query(`LISTEN ${REALTIME_CHANNEL}`);
      attempt = 0;
      resolveReady();
    } catch (err) {
      retry(err);
    }
  };
  void connect();

  return {
    ready,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      resolveReady();
      if (c) await c.end().catch(() => {});
    },
  };
}
