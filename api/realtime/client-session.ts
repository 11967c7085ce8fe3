import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { Caller, PrincipalOfHeaders } from '../auth/principal.ts';
import { isCrossSite } from '../auth/cross-site.ts';
import type { Conn, ConnectionRegistry } from './connections.ts';
import { CLOSE_INTERNAL_ERROR, CLOSE_POLICY, CLOSE_UNAUTHENTICATED, parseClientMessage, type ClientMessage } from './protocol.ts';

export type ClientSessionOptions = {
  log: Logger;
  registry: ConnectionRegistry;
  principalOfHeaders: PrincipalOfHeaders;
  /** Origins besides the server's own whose pages may use the session cookie. */
  allowedOrigins: ReadonlySet<string>;
  authTimeoutMs: number;
  maxQueuedMessages: number;
};

/**
 * One client's side of /api/ws, from the accepted upgrade on: authentication, then its
 * messages. The credential is read as for HTTP routes (principalOfHeaders): the session cookie
 * (same origin only, so another site cannot ride a browser's cookie), `Authorization: Bearer
 * <jwt>` on the upgrade, or a first message `{"type":"auth","token"}` within the time limit;
 * anything else is closed with 4401, as is a connection whose token expires. Tokens are never
 * logged. Every promise here is handled: nothing a client sends can become an unhandled rejection.
 */
export function createClientSessions(o: ClientSessionOptions): (ws: WebSocket, req: IncomingMessage) => void {
  /** Admits a user whose credential checked out; anyone else (an API key included) is closed with 4401. */
  const admit = (c: Conn, caller: Caller, via: string, headers: IncomingHttpHeaders) => {
    const p = caller.principal;
    if (!p || p.kind !== 'user') {
      o.log.info(
        { via, reason: p ? 'an API key cannot open a live connection' : 'invalid credential' },
        'WebSocket authentication refused',
      );
      return c.ws.close(CLOSE_UNAUTHENTICATED, 'authentication required');
    }
    c.principal = p;
    c.credentialHeaders = headers;
    if (caller.expiresAt !== undefined) {
      const timer = setTimeout(
        () => c.ws.close(CLOSE_UNAUTHENTICATED, 'session expired'),
        Math.min(Math.max(0, caller.expiresAt * 1000 - Date.now()), 2 ** 31 - 1),
      );
      timer.unref();
      c.timers.push(timer);
    }
    o.log.debug({ userId: p.userId, role: p.role, via }, 'WebSocket connected');
    o.registry.reply(c, { type: 'ready', user: { id: p.userId, role: p.role, tenantId: p.tenantId } });
  };

  /** Resolves a caller; a failure to check (the database, not the client) closes with 1011. */
  const resolve = (c: Conn, headers: IncomingHttpHeaders): Promise<Caller | null> =>
    o.principalOfHeaders(headers).catch((err: unknown) => {
      o.log.error({ err }, 'WebSocket authentication failed');
      c.ws.close(CLOSE_INTERNAL_ERROR, 'authentication failed');
      return null;
    });

  const onMessage = async (c: Conn, message: ClientMessage | null, upgradeCredential: boolean) => {
    if (!c.principal) {
      if (upgradeCredential) return; // refused on upgrade: the connection is closing already
      // Waiting for the first message: it must be a valid auth message, else 4401.
      for (const t of c.timers.splice(0)) clearTimeout(t);
      if (message?.type !== 'auth') return c.ws.close(CLOSE_UNAUTHENTICATED, 'authentication required');
      const headers = { authorization: `Bearer ${message.token}` };
      const caller = await resolve(c, headers);
      if (caller) admit(c, caller, 'message', headers);
      return;
    }
    if (!message) return o.registry.reply(c, { type: 'error', message: 'unknown message; expected subscribe or ping' });
    switch (message.type) {
      case 'ping':
        return o.registry.reply(c, { type: 'pong' });
      case 'auth':
        return o.registry.reply(c, { type: 'error', message: 'already authenticated' });
      case 'subscribe': {
        const p = c.principal;
        const ids = message.tenantIds;
        if (ids && p.role === 'customer' && ids.some((id) => id !== p.tenantId))
          return o.registry.reply(c, { type: 'error', message: 'tenant not found' });
        c.tenants = ids ? new Set(ids) : null;
        return o.registry.reply(c, { type: 'subscribed', tenantIds: ids });
      }
    }
  };

  const onConnection = (ws: WebSocket, req: IncomingMessage) => {
    ws.on('error', (err) => o.log.debug({ err: err.message }, 'WebSocket error')); // bad frames: ws closes the socket itself
    const c = o.registry.add(ws);
    // A cookie sent from another site's page is no credential here; the first message still may be.
    const headers = { ...req.headers };
    if (isCrossSite(headers, o.allowedOrigins)) delete headers.cookie;
    let upgradeCredential = false;
    const authenticated = resolve(c, headers).then((caller) => {
      if (!caller) return;
      if (caller.credential) {
        upgradeCredential = true;
        return admit(c, caller, caller.credential.source, headers);
      }
      const timer = setTimeout(() => {
        if (!c.principal) ws.close(CLOSE_UNAUTHENTICATED, 'authentication required');
      }, o.authTimeoutMs);
      timer.unref();
      c.timers.push(timer);
    });

    // Messages are handled one at a time, in order, after the upgrade's own authentication;
    // a client that piles them up faster than that is closed rather than buffered without bound.
    let queue: Promise<void> = authenticated;
    let queued = 0;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (++queued > o.maxQueuedMessages) return ws.close(CLOSE_POLICY, 'too many messages');
      const message = isBinary ? null : parseClientMessage(data.toString());
      queue = queue
        .then(() => (ws.readyState === WebSocket.OPEN ? onMessage(c, message, upgradeCredential) : undefined))
        .catch((err: unknown) => o.log.error({ err }, 'WebSocket message failed'))
        .finally(() => {
          queued -= 1;
        });
    });
  };

  return onConnection;
}
