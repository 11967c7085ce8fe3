import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { isTenantId, tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { createTtlCache } from '../http/ttl-cache.ts';

export type TenantRef = { id: string; externalId: string | null };

/**
 * Resolves an event's `subject` (a tenant's externalId or id) to a tenant, from PostgreSQL
 * in the operator scope, cached briefly so ingest does not ask the database per event.
 * An answer is kept `ttlMs` (an unknown subject for a shorter time, so a tenant created a
 * moment ago is found soon).
 */
export type TenantDirectory = { bySubject(subject: string): Promise<TenantRef | null>; byId(id: string): Promise<TenantRef | null> };

export function createTenantDirectory(pg: DatabasePool, ttlMs = 30_000, missTtlMs = 3_000): TenantDirectory {
  const cache = createTtlCache<string, TenantRef | null>({ ttlMs: (tenant) => (tenant ? ttlMs : missTtlMs) });
  const ref = (row: { id: string; external_id: string | null } | null | undefined): TenantRef | null =>
    row ? { id: row.id, externalId: row.external_id } : null;
  return {
    bySubject: (subject) =>
      cache.get(`s:${subject}`, async () => ref(await withOperator(pg, (tx) => tenantsRepository.findByIdOrExternalId(tx, subject)))),
    byId: (id) =>
      cache.get(`i:${id}`, async () => (isTenantId(id) ? ref(await withOperator(pg, (tx) => tenantsRepository.findById(tx, id))) : null)),
  };
}
