import { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { PrincipalOfHeaders } from '../auth/principal.ts';
import type { Conn, ConnectionRegistry } from './connections.ts';
import { CLOSE_UNAUTHENTICATED } from './protocol.ts';

/**
 * A connection outlives the checks of its upgrade: its user may be deactivated, or change
 * role, while it is open. Every `intervalMs` each authenticated connection's credential is
 * resolved again exactly as a request's would be, and one that no longer proves a user is
 * closed with 4401. A resolution is a cache lookup (the session check asks PostgreSQL at most
 * once per user per cache lifetime), and a connection is never rechecked while its previous
 * check is still running.
 */
export function startSessionRevalidation(o: {
  registry: ConnectionRegistry;
  principalOfHeaders: PrincipalOfHeaders;
  intervalMs: number;
  log: Logger;
}): { stop(): void } {
  const checking = new WeakSet<Conn>();
  const recheck = (c: Conn) => {
    const headers = c.credentialHeaders;
    if (!headers || checking.has(c)) return;
    checking.add(c);
    o.principalOfHeaders(headers)
      .then(({ principal }) => {
        if (!principal && c.ws.readyState === WebSocket.OPEN) {
          o.log.info({ userId: c.principal?.userId }, 'closing a WebSocket whose session was revoked');
          c.ws.close(CLOSE_UNAUTHENTICATED, 'session revoked');
        }
      })
      .catch((err: unknown) => o.log.warn({ err }, 'WebSocket session check failed; kept open until the next check'))
      .finally(() => checking.delete(c));
  };
  const timer = setInterval(() => o.registry.authenticated().forEach(recheck), o.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
