import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { withOperator, withTenant } from './tenant-scope.ts';
import { findUnguardedTenantTables } from './tenancy-audit.ts';
import { migratePostgres } from './migrate.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

const tenantRow = z.object({ id: z.string(), name: z.string(), tax_rate: z.string(), budget: z.string().nullable() });

describe('PostgreSQL through slonik', () => {
  it('round-trips a row of a migrated table with exact numeric and int8 types', async () => {
    const created = await withOperator(db.pool, (tx) =>
      tx.one(
        sql.type(
          tenantRow,
        )`INSERT INTO tenants (name, tax_rate, budget) VALUES ('Acme', '0.2', '12345678901234567.000000000001') RETURNING id, name, tax_rate, budget`,
      ),
    );
    expect(created.tax_rate).toBe('0.200000');
    // 29 significant digits: a float would have lost the trailing 1.
    expect(created.budget).toBe('12345678901234567.000000000001');
    const big = await db.pool.oneFirst(sql.type(z.object({ n: z.bigint() }))`SELECT 9007199254740993::int8 AS n`);
    expect(big).toBe(9007199254740993n);
  });

  it('a second migration run applies nothing', async () => {
    expect(await migratePostgres(db.ownerUrl)).toEqual([]);
  });

  it('the app role does not own the tables and cannot bypass RLS', async () => {
    const role = await db.pool.one(sql.type(z.object({ rolsuper: z.boolean(), rolbypassrls: z.boolean(), owns: z.boolean() }))`
      SELECT r.rolsuper, r.rolbypassrls,
             EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' AND t.tableowner = current_user) AS owns
      FROM pg_roles r WHERE r.rolname = current_user`);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, owns: false });
  });
});

describe('tenant scope', () => {
  it('admits only the scoped tenant, the operator everything, and no scope nothing', async () => {
    const [a, b] = await withOperator(db.pool, async (tx) => [
      await tx.oneFirst(sql.type(z.object({ id: z.string() }))`INSERT INTO tenants (name) VALUES ('A') RETURNING id`),
      await tx.oneFirst(sql.type(z.object({ id: z.string() }))`INSERT INTO tenants (name) VALUES ('B') RETURNING id`),
    ]);
    const visibleTo = (tenantId: string) =>
      withTenant(db.pool, tenantId, (tx) => tx.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM tenants`));
    expect(await visibleTo(a!)).toEqual([a]);
    expect(await visibleTo(b!)).toEqual([b]);
    const all = await withOperator(db.pool, (tx) => tx.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM tenants`));
    expect(all).toEqual(expect.arrayContaining([a, b]));
    const unscoped = await db.pool.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM tenants`);
    expect(unscoped).toEqual([]);
  });

  it('a tenant scope cannot write a row for another tenant', async () => {
    const a = await withOperator(db.pool, (tx) =>
      tx.oneFirst(sql.type(z.object({ id: z.string() }))`INSERT INTO tenants (name) VALUES ('C') RETURNING id`),
    );
    await expect(withTenant(db.pool, a, (tx) => tx.query(sql.unsafe`INSERT INTO tenants (name) VALUES ('sneaky')`))).rejects.toThrow(
      /row-level security/,
    );
  });

  it('statements started together in one transaction run one after another', async () => {
    const values = await withOperator(db.pool, (tx) =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT ${i}::int + (random() * 0)::int AS n`),
        ),
      ),
    );
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a statement that fails beside a sibling surfaces its own error, writes nothing, and leaves the pool usable', async () => {
    // Given a transaction where an out-of-range value fails while a sibling write is in flight,
    const attempt = withOperator(db.pool, (tx) =>
      Promise.all([
        tx.oneFirst(sql.type(z.object({ v: z.number() }))`SELECT ${'9999999999'}::int AS v`),
        tx.query(sql.unsafe`INSERT INTO tenants (name) VALUES ('sibling of a failure')`),
      ]),
    );
    // then the caller sees the database's error, not slonik's bookkeeping,
    await expect(attempt).rejects.toThrow(/out of range for type integer/);
    // the sibling's write is rolled back,
    const owner = await db.owner();
    try {
      expect((await owner.query(`SELECT count(*)::int AS n FROM tenants WHERE name = 'sibling of a failure'`)).rows[0].n).toBe(0);
    } finally {
      await owner.end();
    }
    // and every later transaction on the pool works.
    for (let i = 0; i < 12; i++) {
      expect(await withOperator(db.pool, (tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT ${i}::int AS n`))).toBe(i);
    }
  });
});

describe('tenancy audit', () => {
  it('finds no unguarded tenant table in the migrated schema', async () => {
    expect(await findUnguardedTenantTables(db.pool)).toEqual([]);
  });

  it('flags a table with tenant_id but without forced RLS and a policy', async () => {
    const owner = await db.owner();
    try {
      await owner.query('CREATE TABLE leaky (id int, tenant_id uuid)');
      await owner.query('CREATE TABLE half_guarded (id int, tenant_id uuid)');
      await owner.query('ALTER TABLE half_guarded ENABLE ROW LEVEL SECURITY');
      const flagged = (await findUnguardedTenantTables(db.pool)).map((t) => t.table);
      expect(flagged).toEqual(['half_guarded', 'leaky']);
    } finally {
      await owner.query('DROP TABLE IF EXISTS leaky, half_guarded');
      await owner.end();
    }
  });
});
