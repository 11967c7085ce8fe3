import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Principal } from '../http/route.ts';
import type { RealtimeEvent } from '../../db/postgres/realtime-events.ts';
import { mayReceive } from './visibility.ts';

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** One client. `principal` stays null until it authenticates; `tenants` null means all it may see. */
export type Conn = {
  ws: WebSocket;
  principal: UserPrincipal | null;
  tenants: Set<string> | null;
  alive: boolean;
  timers: NodeJS.Timeout[];
  /** The headers that authenticated it, resolved again periodically (session-revalidation.ts). */
  credentialHeaders?: IncomingHttpHeaders;
};

export type ConnectionRegistry = {
  /** Registers a new socket; it leaves the registry (and its timers stop) when it closes. */
  add(ws: WebSocket): Conn;
  /** Sends unless the client is not keeping up: then it is dropped rather than buffered without bound. */
  send(c: Conn, text: string): void;
  reply(c: Conn, message: Record<string, unknown>): void;
  /** Sends one event to every authenticated connection that may see it and asked for its tenant. */
  broadcast(event: RealtimeEvent): void;
  size(): number;
  /** The authenticated connections. */
  authenticated(): Conn[];
  /** Closes every connection with `code`, waits up to `graceMs`, then terminates what is left. */
  closeAll(code: number, reason: string, graceMs: number): Promise<void>;
};

/**
 * The open connections, with a heartbeat: a ping every `heartbeatMs`, and a connection that
 * did not answer the previous ping is dropped. `onBeat` runs with each heartbeat.
 */
export function createConnectionRegistry(o: {
  log: Logger;
  heartbeatMs: number;
  maxBufferedBytes: number;
  onBeat?: () => void;
}): ConnectionRegistry {
  const conns = new Set<Conn>();
  const drop = (c: Conn, why: string) => {
    o.log.warn({ userId: c.principal?.userId, why }, 'dropping a WebSocket client');
    c.ws.terminate();
  };
  const send = (c: Conn, text: string) => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount + Buffer.byteLength(text) > o.maxBufferedBytes) return drop(c, 'slow client: send buffer full');
    c.ws.send(text);
  };

  const heartbeat = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
        drop(c, 'no pong since the last heartbeat');
        continue;
      }
      c.alive = false;
      if (c.ws.readyState === WebSocket.OPEN) c.ws.ping();
    }
    o.onBeat?.();
  }, o.heartbeatMs);
  heartbeat.unref();

  return {
    add(ws) {
      const c: Conn = { ws, principal: null, tenants: null, alive: true, timers: [] };
      conns.add(c);
      ws.on('pong', () => {
        c.alive = true;
      });
      ws.on('close', () => {
        for (const t of c.timers) clearTimeout(t);
        conns.delete(c);
      });
      return c;
    },
    send,
    reply: (c, message) => send(c, JSON.stringify(message)),
    broadcast(event) {
      const text = JSON.stringify(event);
      for (const c of conns) {
        if (!c.principal || !mayReceive(c.principal, event)) continue;
        if (c.tenants && !c.tenants.has(event.tenantId)) continue;
        send(c, text);
      }
    },
    size: () => conns.size,
    authenticated: () => [...conns].filter((c) => c.principal !== null),
    async closeAll(code, reason, graceMs) {
      clearInterval(heartbeat);
      const closed = [...conns].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close(code, reason);
          }),
      );
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())]);
      for (const c of conns) c.ws.terminate();
    },
  };
}
