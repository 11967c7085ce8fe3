import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { PrincipalOfHeaders } from '../auth/principal.ts';
import { originSet } from '../auth/cross-site.ts';
import { listenForEvents, type EventListener, type RealtimeEvent, type UsageTickEvent } from '../../db/postgres/realtime-events.ts';
import { createTickCoalescer } from './tick-coalescer.ts';
import { createConnectionRegistry } from './connections.ts';
import { createClientSessions } from './client-session.ts';
import { upgradeListener, type UpgradeListener } from './upgrade.ts';
import { startSessionRevalidation } from './session-revalidation.ts';
import { CLOSE_GOING_AWAY } from './protocol.ts';

export type RealtimeHubOptions = {
  pg: DatabasePool;
  /** The resolver HTTP routes use: the upgrade's headers, or a first message's token as a bearer token. */
  principalOfHeaders: PrincipalOfHeaders;
  logger: Logger;
  /** The database to LISTEN on; default: the pool's own URL. */
  listenUrl?: string;
  /** A first `auth` message must arrive within this time (5 s). */
  authTimeoutMs?: number;
  /** A ping every interval; a connection that did not answer the previous one is dropped (30 s). */
  heartbeatMs?: number;
  /** A client whose unsent data exceeds this is too slow and is dropped (1 MiB). */
  maxBufferedBytes?: number;
  /** At most one usage.tick per tenant per interval on each connection (1 s). */
  tickIntervalMs?: number;
  /**
   * How often each open connection's session is checked again (1 s), so a deactivated user,
   * or one whose role changed, is closed with 4401 within this plus the session cache's 4 s.
   */
  revalidateMs?: number;
  /** Browser origins allowed to use the session cookie besides the server's own (CORS_ORIGIN). */
  allowedOrigins?: readonly (string | undefined)[];
  /** Messages a client may have waiting while an earlier one is handled; one more closes it with 1008 (100). */
  maxQueuedMessages?: number;
};

export type RealtimeHub = {
  /** Starts listening for events (LISTEN); resolves once nothing published later can be missed. */
  start(): Promise<void>;
  /** Serves /api/ws on the server's upgrade requests. */
  attach(server: Server): void;
  /** Forwards one event to the connections that may see it (what the listener calls). */
  deliver(event: RealtimeEvent): void;
  connections(): number;
  /** Closes every connection with 1001, stops listening and detaches. */
  close(): Promise<void>;
};

/**
 * The WebSocket hub at /api/ws, on the same HTTP server as the API: the upgrade routing
 * (upgrade.ts), each client's authentication and messages (client-session.ts), the open
 * connections with their heartbeat (connections.ts) and the usage.tick merging
 * (tick-coalescer.ts). Events arrive from PostgreSQL LISTEN (every process publishes with
 * NOTIFY) and each connection gets only what its role may see. An open connection's session is
 * checked again every second (session-revalidation.ts), so deactivation closes it.
 */
export function createRealtimeHub(o: RealtimeHubOptions): RealtimeHub {
  const log = o.logger.child({ component: 'realtime' });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, clientTracking: false });
  const ticks = createTickCoalescer(o.tickIntervalMs ?? 1_000, (event) => registry.broadcast(event));
  const registry = createConnectionRegistry({
    log,
    heartbeatMs: o.heartbeatMs ?? 30_000,
    maxBufferedBytes: o.maxBufferedBytes ?? 1024 * 1024,
    onBeat: ticks.sweep,
  });
  let listener: EventListener | undefined;
  let attached: { server: Server; onUpgrade: UpgradeListener } | undefined;
  let closing = false;

  const onConnection = createClientSessions({
    log,
    registry,
    principalOfHeaders: o.principalOfHeaders,
    allowedOrigins: originSet(o.allowedOrigins),
    authTimeoutMs: o.authTimeoutMs ?? 5_000,
    maxQueuedMessages: o.maxQueuedMessages ?? 100,
  });

  const revalidation = startSessionRevalidation({
    registry,
    principalOfHeaders: o.principalOfHeaders,
    intervalMs: o.revalidateMs ?? 1_000,
    log,
  });

  const deliver = (event: RealtimeEvent) => {
    if (closing) return;
    if (event.type === 'usage.tick') ticks.offer(event as UsageTickEvent);
    else registry.broadcast(event);
  };

  return {
    async start() {
      listener ??= listenForEvents({
        connectionString: o.listenUrl ?? o.pg.configuration.connectionUri,
        onEvent: deliver,
        onError: (err) => log.warn({ err: err.message }, 'live-event listener'),
      });
      await listener.ready;
    },
    attach(server) {
      const onUpgrade = upgradeListener({ server, wss, log, closing: () => closing, onConnection });
      server.on('upgrade', onUpgrade);
      attached = { server, onUpgrade };
    },
    deliver,
    connections: () => registry.size(),
    async close() {
      if (closing) return;
      closing = true;
      ticks.close();
      revalidation.stop();
      if (attached) attached.server.off('upgrade', attached.onUpgrade);
      await listener?.close();
      await registry.closeAll(CLOSE_GOING_AWAY, 'server shutting down', 2_000);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
