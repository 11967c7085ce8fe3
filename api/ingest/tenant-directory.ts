import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { isTenantId, tenantsRepository } from '../../db/postgres/tenants-repository.ts';

export type TenantRef = { id: string; externalId: string | null };

/**
 * Resolves an event's `subject` (a tenant's externalId or id) to a tenant, from PostgreSQL
 * in the operator scope, cached briefly so ingest does not ask the database per event.
 * An answer is kept `ttlMs` (an unknown subject for a shorter time, so a tenant created a
 * moment ago is found soon).
 */
export type TenantDirectory = { bySubject(subject: string): Promise<TenantRef | null>; byId(id: string): Promise<TenantRef | null> };


export function createTenantDirectory(pg: DatabasePool, ttlMs = 30_000, missTtlMs = 3_000): TenantDirectory {
  const cache = new Map<string, { tenant: TenantRef | null; until: number }>();
  const lookup = async (key: string, find: () => Promise<TenantRef | null>) => {
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.tenant;
    const tenant = await find();
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { tenant, until: Date.now() + (tenant ? ttlMs : missTtlMs) });
    return tenant;
  };
  const ref = (row: { id: string; external_id: string | null } | null | undefined): TenantRef | null => (row ? { id: row.id, externalId: row.external_id } : null);
  return {
    bySubject: (subject) =>
      lookup(`s:${subject}`, async () =>
        ref(
          await withOperator(pg, (tx) => tenantsRepository.findByIdOrExternalId(tx, subject)),
        ),
      ),
    byId: (id) => lookup(`i:${id}`, async () => (isTenantId(id) ? ref(await withOperator(pg, (tx) => tenantsRepository.findById(tx, id))) : null)),
  };
}
