import { BackendTerminatedError, ConnectionError, IdleTransactionTimeoutError, StatementTimeoutError } from 'slonik';

/**
 * SQLSTATE codes that say "the store could not do it now" rather than "this request is wrong":
 * class 40 (a deadlock or a serialization failure rolled the transaction back), lock_not_available,
 * too_many_connections, and the server shutting down or restarting.
 */
const TRANSIENT_SQLSTATES = new Set(['55P03', '53300', '57P01', '57P02', '57P03']);
/** Network errors of a store the process could not reach (PostgreSQL or ClickHouse). */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

function isTransientOne(err: unknown): boolean {
  if (
    err instanceof ConnectionError ||
    err instanceof BackendTerminatedError ||
    err instanceof StatementTimeoutError ||
    err instanceof IdleTransactionTimeoutError
  )
    return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('40') || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NETWORK_CODES.has(code));
}

/**
 * Whether an error, or one of the errors it wraps (`cause`, a few levels deep, as slonik and the
 * ClickHouse client wrap the driver's), is a store being busy or out of reach. Such a request
 * changed nothing, since its transaction rolled back, and the same request may well succeed a
 * moment later: the API answers 503 with Retry-After, not 500. Slonik's own transaction retries
 * are off (db/postgres/pool.ts), because only the caller knows whether its work may run twice.
 */
export function isTransientStoreFailure(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (isTransientOne(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** How long a client should wait before sending the same request again. */
export const TRANSIENT_RETRY_AFTER_SECONDS = 1;
