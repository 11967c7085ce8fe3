import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository, type UserSessionState } from '../../db/postgres/users-repository.ts';
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
  const cache = new Map<string, { state: Promise<UserSessionState | null>; until: number }>();
  return async (claims: Pick<SessionClaims, 'sub' | 'role' | 'tenantId' | 'ver'>): Promise<boolean> => {
    if (!uuid.safeParse(claims.sub).success) return false;
    let hit = cache.get(claims.sub);
    if (!hit || hit.until <= now()) {
      const state = withOperator(pg, (tx) => usersRepository.findSessionState(tx, claims.sub));
      if (cache.size > 10_000) cache.clear();
      const entry = { state, until: now() + SESSION_STATE_CACHE_MS };
      cache.set(claims.sub, entry);
      // A failed lookup is not remembered: the next request asks again.
      state.catch(() => cache.get(claims.sub) === entry && cache.delete(claims.sub));
      hit = entry;
    }
    return tokenIsCurrent(claims, await hit.state);
  };
}

export type SessionCheck = ReturnType<typeof createSessionCheck>;
