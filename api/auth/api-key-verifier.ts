import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { createTtlCache } from '../http/ttl-cache.ts';
import { apiKeysRepository } from '../../db/postgres/api-keys-repository.ts';
import { hashApiKey } from './api-key-secrets.ts';
import type { ApiKeyScope } from '../http/route.ts';

/** A key's identity and what it may do; scopes never change after creation, so caching them is safe. */
export type VerifiedKey = { keyId: string; tenantId: string; scopes: readonly ApiKeyScope[] };

// A verified key is trusted for this long without asking PostgreSQL again, which keeps
// the ingest hot path off the database. It is also the bound on revocation: a revoked
// key stops working within this time on every replica.
export const API_KEY_CACHE_MS = 4_000;

export function createApiKeyVerifier(pg: DatabasePool, now: () => number = Date.now) {
  const cache = createTtlCache<string, VerifiedKey | null>({ ttlMs: API_KEY_CACHE_MS, now });
  return (token: string): Promise<VerifiedKey | null> => {
    const hash = hashApiKey(token);
    return cache.get(hash.toString('base64'), async () => {
      const row = await withOperator(pg, (tx) => apiKeysRepository.findActiveByHash(tx, hash));
      return row ? { keyId: row.id, tenantId: row.tenant_id, scopes: row.scopes } : null;
    });
  };
}
