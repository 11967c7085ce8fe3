import { describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { z } from 'zod';
import { useTestEnvironment } from '../harness/environment.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';

const env = useTestEnvironment();

const tenantTables = async () => {
  const owner = await env.db.owner();
  try {
    const { rows } = await owner.query<{ table: string }>(`
      SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      WHERE c.relkind IN ('r', 'p') AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      ORDER BY 1`);
    return rows.map((r) => r.table);
  } finally {
    await owner.end();
  }
};

describe('row-level security holds when the application forgets to filter', () => {
  it("a raw SELECT * of every tenant table in tenant A's scope returns only A's rows", async () => {
    const tables = await tenantTables();
    expect(tables).toEqual(expect.arrayContaining(['api_keys', 'users']));
    const checkedWithOtherRows: string[] = [];
    for (const table of tables) {
      const rows = await withTenant(env.db.pool, env.api.tenants.a.id, (tx) =>
        tx.any(sql.type(z.object({ tenant_id: z.string().nullable() }).passthrough())`SELECT * FROM ${sql.identifier([table])}`),
      );
      expect(
        rows.every((r) => r.tenant_id === env.api.tenants.a.id),
        table,
      ).toBe(true);
      const owner = await env.db.owner();
      const other = await owner.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id IS DISTINCT FROM $1`, [
        env.api.tenants.a.id,
      ]);
      await owner.end();
      if (other.rows[0].n > 0) checkedWithOtherRows.push(table);
    }
    // The check means something only where other tenants' rows exist: the seeded ones do.
    expect(checkedWithOtherRows).toEqual(expect.arrayContaining(['api_keys', 'users']));
  });

  it('the tenants table shows a tenant only its own row', async () => {
    const ids = await withTenant(env.db.pool, env.api.tenants.a.id, (tx) =>
      tx.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM tenants`),
    );
    expect(ids).toEqual([env.api.tenants.a.id]);
  });
});
