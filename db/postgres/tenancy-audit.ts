import { z } from 'zod';
import { sql, type CommonQueryMethods } from 'slonik';

const unguardedTable = z.object({ table: z.string(), forced: z.boolean(), enabled: z.boolean(), policies: z.number() });
export type UnguardedTable = z.infer<typeof unguardedTable>;

/**
 * Reads the catalog (not a hand-kept list) for every public table with a tenant_id
 * column and reports those not protected by enabled + forced RLS and at least one policy.
 */
export async function findUnguardedTenantTables(db: CommonQueryMethods): Promise<readonly UnguardedTable[]> {
  return db.any(sql.type(unguardedTable)`
    SELECT c.relname AS "table",
           c.relforcerowsecurity AS forced,
           c.relrowsecurity AS enabled,
           (SELECT count(*)::int FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    WHERE c.relkind IN ('r', 'p')
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      AND NOT (c.relrowsecurity AND c.relforcerowsecurity
               AND EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname))
    ORDER BY c.relname`);
}
