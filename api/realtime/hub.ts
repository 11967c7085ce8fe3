import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import jwt from 'jsonwebtoken';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { Principal } from '../http/route.ts';
import { createAuthorize } from '../auth/authorize.ts';
import { createSessionCheck } from '../auth/session-check.ts';
import { SESSION_COOKIE, type AuthConfig, type SessionClaims } from '../auth/tokens.ts';
import { listenForEvents, type EventListener, type RealtimeEvent, type UsageTickEvent } from '../../db/postgres/realtime-events.ts';
import { mayReceive } from './visibility.ts';
import { CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_UNAUTHENTICATED, WS_PATH, parseClientMessage } from './protocol.ts';

export type RealtimeHubOptions = {
  pg: DatabasePool;
  auth: AuthConfig;
  logger: Logger;
  /** The database to LISTEN on; default: the pool's own URL. */
  listenUrl?: string;
  /** A first `auth` message must arrive within this time (DESIGN §8: 5 s). */
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

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

type Conn = {
  ws: WebSocket;
  principal: UserPrincipal | null;
  /** A subscription filter, or null for everything the role may see. */
  tenants: Set<string> | null;
  alive: boolean;
  timers: NodeJS.Timeout[];
  /** What the connection's token claims, checked again every revalidateMs. */
  session?: Pick<SessionClaims, 'sub' | 'role' | 'tenantId' | 'ver'>;
  rechecking?: boolean;
};

const bearerOf = (req: IncomingMessage) => req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];

function cookieToken(req: IncomingMessage): string | undefined {
  const match = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return match ? decodeURIComponent(match.slice(SESSION_COOKIE.length + 1)) : undefined;
}

/** A request-like object that carries only this bearer token (for the first-message flow). */
const bearerRequest = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as IncomingMessage;

/** A (verified) JWT's expiry, in seconds since the epoch, and its token version. */
function claimsOf(token: string | undefined): { exp?: number; ver?: number } {
  const claims = token ? jwt.decode(token) : null;
  if (!claims || typeof claims !== 'object') return {};
  return { exp: typeof claims.exp === 'number' ? claims.exp : undefined, ver: typeof claims.ver === 'number' ? claims.ver : undefined };
}

/**
 * The WebSocket hub at /api/ws, on the same HTTP server as the API. Authentication follows
 * DESIGN §8: the session cookie (same origin only, so another site cannot ride a browser's
 * cookie), `Authorization: Bearer <jwt>` on the upgrade, or a first message
 * `{"type":"auth","token"}` within 5 s; anything else is closed with 4401. A connection
 * closes with 4401 when its token expires, and within about 5 s of its user being
 * deactivated or changing role; from then on the old token cannot open one. Tokens are never logged.
 *
 * Events arrive from PostgreSQL LISTEN (every process publishes with NOTIFY), and each
 * connection gets only what its role may see. usage.tick is merged per tenant so a connection
 * receives at most one per second per tenant, whatever the number of API replicas.
 */
export function createRealtimeHub(o: RealtimeHubOptions): RealtimeHub {
  const log = o.logger.child({ component: 'realtime' });
  const authTimeoutMs = o.authTimeoutMs ?? 5_000;
  const maxBuffered = o.maxBufferedBytes ?? 1024 * 1024;
  const tickMs = o.tickIntervalMs ?? 1_000;
  const allowedOrigins = new Set(o.allowedOrigins?.filter((x): x is string => Boolean(x)).map((x) => x.replace(/\/$/, '')));
  // One session cache for new connections and open ones alike.
  const sessionIsCurrent = createSessionCheck(o.pg);
  const { principalOf } = createAuthorize(o.auth, o.pg, sessionIsCurrent);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, clientTracking: false });
  const conns = new Set<Conn>();
  let listener: EventListener | undefined;
  let attached: { server: Server; onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void } | undefined;
  let closing = false;

  const drop = (c: Conn, why: string) => {
    log.warn({ userId: c.principal?.userId, why }, 'dropping a WebSocket client');
    c.ws.terminate();
  };

  /** Sends unless the client is not keeping up: then it is dropped rather than buffered without bound. */
  const send = (c: Conn, text: string) => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount + Buffer.byteLength(text) > maxBuffered) return drop(c, 'slow client: send buffer full');
    c.ws.send(text);
  };
  const reply = (c: Conn, message: Record<string, unknown>) => send(c, JSON.stringify(message));

  const deliverNow = (event: RealtimeEvent) => {
    const text = JSON.stringify(event);
    for (const c of conns) {
      if (!c.principal || !mayReceive(c.principal, event)) continue;
      if (c.tenants && !c.tenants.has(event.tenantId)) continue;
      send(c, text);
    }
  };

  // usage.tick: leading edge at once, then whatever arrives within the interval merged into one.
  const ticks = new Map<string, { lastSent: number; pending: Record<string, number> | null; timer?: NodeJS.Timeout }>();
  const onTick = (event: UsageTickEvent) => {
    const now = Date.now();
    let state = ticks.get(event.tenantId);
    if (!state) ticks.set(event.tenantId, (state = { lastSent: 0, pending: null }));
    if (!state.pending && now - state.lastSent >= tickMs) {
      state.lastSent = now;
      return deliverNow(event);
    }
    const pending = (state.pending ??= {});
    for (const [type, n] of Object.entries(event.counts ?? {})) if (typeof n === 'number') pending[type] = (pending[type] ?? 0) + n;
    if (state.timer) return;
    const s = state;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      const counts = s.pending;
      s.pending = null;
      s.lastSent = Date.now();
      if (counts) deliverNow({ type: 'usage.tick', tenantId: event.tenantId, at: new Date(s.lastSent).toISOString(), counts });
    }, Math.max(0, state.lastSent + tickMs - now));
    s.timer.unref();
  };

  const deliver = (event: RealtimeEvent) => {
    if (closing) return;
    if (event.type === 'usage.tick') onTick(event as UsageTickEvent);
    else deliverNow(event);
  };

  const authenticated = (c: Conn, principal: Principal | null, token: string | undefined, via: string): boolean => {
    if (!principal || principal.kind !== 'user') {
      log.info({ via, reason: principal ? 'an API key cannot open a live connection' : 'invalid credential' }, 'WebSocket authentication refused');
      c.ws.close(CLOSE_UNAUTHENTICATED, 'authentication required');
      return false;
    }
    c.principal = principal;
    const { exp, ver } = claimsOf(token);
    c.session = { sub: principal.userId, role: principal.role, tenantId: principal.tenantId, ver };
    if (exp !== undefined) {
      const timer = setTimeout(() => c.ws.close(CLOSE_UNAUTHENTICATED, 'session expired'), Math.min(Math.max(0, exp * 1000 - Date.now()), 2 ** 31 - 1));
      timer.unref();
      c.timers.push(timer);
    }
    log.debug({ userId: principal.userId, role: principal.role, via }, 'WebSocket connected');
    reply(c, { type: 'ready', user: { id: principal.userId, role: principal.role, tenantId: principal.tenantId } });
    return true;
  };

  const onMessage = async (c: Conn, data: RawData, authenticatedOnUpgrade: boolean) => {
    const message = parseClientMessage(data.toString());
    if (!c.principal) {
      if (authenticatedOnUpgrade) return; // refused on upgrade: the connection is closing
      // Waiting for the first message: it must be a valid auth message, else 4401.
      for (const t of c.timers.splice(0)) clearTimeout(t);
      if (message?.type !== 'auth') return c.ws.close(CLOSE_UNAUTHENTICATED, 'authentication required');
      let principal: Principal | null;
      try {
        principal = await principalOf(bearerRequest(message.token));
      } catch (err) {
        log.error({ err }, 'WebSocket authentication failed');
        return c.ws.close(CLOSE_INTERNAL_ERROR, 'authentication failed');
      }
      authenticated(c, principal, message.token, 'message');
      return;
    }
    if (!message) return reply(c, { type: 'error', message: 'unknown message; expected subscribe or ping' });
    switch (message.type) {
      case 'ping':
        return reply(c, { type: 'pong' });
      case 'auth':
        return reply(c, { type: 'error', message: 'already authenticated' });
      case 'subscribe': {
        const p = c.principal;
        const ids = message.tenantIds;
        if (ids && p.role === 'customer' && ids.some((id) => id !== p.tenantId)) return reply(c, { type: 'error', message: 'tenant not found' });
        c.tenants = ids ? new Set(ids) : null;
        return reply(c, { type: 'subscribed', tenantIds: ids });
      }
    }
  };

  const onConnection = async (ws: WebSocket, req: IncomingMessage) => {
    const c: Conn = { ws, principal: null, tenants: null, alive: true, timers: [] };
    conns.add(c);
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'WebSocket error'));
    ws.on('close', () => {
      for (const t of c.timers) clearTimeout(t);
      conns.delete(c);
    });
    const bearer = bearerOf(req);
    const apiKey = req.headers['x-api-key'];
    const cookie = cookieToken(req);
    const cookieUsable = cookie !== undefined && originAllowed(req);
    const fromUpgrade = Boolean(bearer || apiKey || cookieUsable);

    // The upgrade's credential, when it carries one, decides (a cross-site cookie is not one).
    // Otherwise the first message must authenticate within authTimeoutMs.
    const authenticateUpgrade = async () => {
      if (!fromUpgrade) {
        const timer = setTimeout(() => {
          if (!c.principal) ws.close(CLOSE_UNAUTHENTICATED, 'authentication required');
        }, authTimeoutMs);
        timer.unref();
        c.timers.push(timer);
        return;
      }
      const headers = { ...req.headers };
      if (!cookieUsable) delete headers.cookie;
      let principal: Principal | null;
      try {
        principal = await principalOf({ headers } as IncomingMessage);
      } catch (err) {
        log.error({ err }, 'WebSocket authentication failed');
        return ws.close(CLOSE_INTERNAL_ERROR, 'authentication failed');
      }
      authenticated(c, principal, bearer ?? cookie, bearer ? 'header' : apiKey ? 'api-key' : 'cookie');
    };

    // Messages are handled one at a time, in order, after the upgrade's own authentication.
    let queue = authenticateUpgrade().catch((err: unknown) => log.error({ err }, 'WebSocket authentication failed'));
    ws.on('message', (data) => {
      queue = queue
        .then(() => (ws.readyState === WebSocket.OPEN ? onMessage(c, data, fromUpgrade) : undefined))
        .catch((err: unknown) => log.error({ err }, 'WebSocket message failed'));
    });
  };

  /** Same-origin (or an allowed origin) for the cookie; a request without Origin is not from a browser page. */
  function originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    if (allowedOrigins.has(origin)) return true;
    try {
      const host = new URL(origin).host;
      const forwarded = req.headers['x-forwarded-host'];
      return host === req.headers.host || (typeof forwarded === 'string' && forwarded.split(',')[0]?.trim() === host);
    } catch {
      return false;
    }
  }

  const heartbeat = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
        drop(c, 'no pong since the last heartbeat');
        continue;
      }
      c.alive = false;
      if (c.ws.readyState === WebSocket.OPEN) c.ws.ping();
    }
    const now = Date.now();
    for (const [tenantId, s] of ticks) if (!s.pending && !s.timer && now - s.lastSent > tickMs) ticks.delete(tenantId);
  }, o.heartbeatMs ?? 30_000);
  heartbeat.unref();

  // A connection outlives the checks of its upgrade: its user may be deactivated, or change
  // role, while it is open. Each check is a cache lookup; PostgreSQL is asked at most once
  // per user per cache lifetime.
  const revalidate = setInterval(() => {
    for (const c of conns) {
      const session = c.session;
      if (!session || c.rechecking) continue;
      c.rechecking = true;
      sessionIsCurrent(session)
        .then((current) => {
          if (!current && c.ws.readyState === WebSocket.OPEN) {
            log.info({ userId: session.sub }, 'closing a WebSocket whose session was revoked');
            c.ws.close(CLOSE_UNAUTHENTICATED, 'session revoked');
          }
        })
        .catch((err: unknown) => log.warn({ err }, 'WebSocket session check failed; kept open until the next check'))
        .finally(() => {
          c.rechecking = false;
        });
    }
  }, o.revalidateMs ?? 1_000);
  revalidate.unref();

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
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (path !== WS_PATH) {
          // Another upgrade handler may want it; with none, do not leave the socket hanging.
          if (server.listenerCount('upgrade') === 1) socket.destroy();
          return;
        }
        if (closing) {
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => void onConnection(ws, req));
      };
      server.on('upgrade', onUpgrade);
      attached = { server, onUpgrade };
    },
    deliver,
    connections: () => conns.size,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(heartbeat);
      clearInterval(revalidate);
      for (const s of ticks.values()) clearTimeout(s.timer);
      if (attached) attached.server.off('upgrade', attached.onUpgrade);
      await listener?.close();
      const closed = [...conns].map((c) => new Promise<void>((resolve) => {
        if (c.ws.readyState === WebSocket.CLOSED) return resolve();
        c.ws.once('close', () => resolve());
        c.ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      }));
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([Promise.all(closed), timeout]);
      for (const c of conns) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
