import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository, type UserSessionState } from '../../db/postgres/users-repository.ts';
import { createTtlCache } from '../http/ttl-cache.ts';
import type { SessionClaims } from './tokens.ts';

// A user's session state is trusted for this long without asking PostgreSQL again, like a
// verified API key (api-key-verifier.ts). It bounds how soon a deactivation or a role
// change reaches every replica: within this time, plus the request in flight.
export const SESSION_STATE_CACHE_MS = 4_000;

const uuid = z.uuid();

/** Whether a verified token still speaks for its user: what it claims must be what the user is now. */
export function tokenIsCurrent(claims: Pick<SessionClaims, 'role' | 'tenantId' | 'ver'>, user: UserSessionState | null): boolean {
  return (
    user !== null &&
    user.deactivated_at === null &&
    user.token_version === (claims.ver ?? 0) &&
    user.role === claims.role &&
    user.tenant_id === claims.tenantId
  );
}

/**
 * Checks a signed, unexpired token against its user's current state: a deactivated user,
 * or one whose role or tenant changed since (token_version moved on), is no longer signed
 * in. One lookup per user per SESSION_STATE_CACHE_MS on each replica; concurrent requests
 * of the same user share it.
 */
export function createSessionCheck(pg: DatabasePool, now: () => number = Date.now) {
  const cache = createTtlCache<string, UserSessionState | null>({ ttlMs: SESSION_STATE_CACHE_MS, now });
  return async (claims: Pick<SessionClaims, 'sub' | 'role' | 'tenantId' | 'ver'>): Promise<boolean> => {
    if (!uuid.safeParse(claims.sub).success) return false;
    const state = await cache.get(claims.sub, () => withOperator(pg, (tx) => usersRepository.findSessionState(tx, claims.sub)));
    return tokenIsCurrent(claims, state);
  };
}

export type SessionCheck = ReturnType<typeof createSessionCheck>;
