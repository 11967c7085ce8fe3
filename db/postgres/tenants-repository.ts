import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { unlessTaken } from './write-refusals.ts';

export const tenantRow = z.object({
  id: z.string(),
  name: z.string(),
  external_id: z.string().nullable(),
  email: z.string().nullable(),
  currency: z.string(),
  timezone: z.string(),
  tax_rate: z.string(),
  budget: z.string().nullable(),
  credit_low_threshold: z.string().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
});
export type TenantRow = z.infer<typeof tenantRow>;

export type NewTenant = {
  name: string;
  externalId?: string;
  email?: string;
  currency?: string;
  timezone?: string;
  taxRate?: string;
  budget?: string;
  creditLowThreshold?: string;
};
export type TenantPatch = {
  name?: string;
  externalId?: string | null;
  email?: string | null;
  currency?: string;
  timezone?: string;
  taxRate?: string;
  budget?: string | null;
  creditLowThreshold?: string | null;
};

/** A well-formed tenant id (uuid); anything else must not reach an ::uuid cast. */
export const isTenantId = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

const columns = sql.fragment`id, name, external_id, email, currency, timezone, tax_rate::text AS tax_rate, budget::text AS budget,
  credit_low_threshold::text AS credit_low_threshold, created_at, updated_at`;

export const tenantsRepository = {
  insert: (tx: Tx, t: NewTenant) =>
    tx.one(sql.type(tenantRow)`
      INSERT INTO tenants (name, external_id, email, currency, timezone, tax_rate, budget, credit_low_threshold)
      VALUES (${t.name}, ${t.externalId ?? null}, ${t.email ?? null}, ${t.currency ?? 'USD'}, ${t.timezone ?? 'UTC'},
              ${t.taxRate ?? '0'}, ${t.budget ?? null}, ${t.creditLowThreshold ?? null})
      RETURNING ${columns}`),

  /** insert, with a taken externalId as its answer ('taken') rather than an error. */
  create: (tx: Tx, t: NewTenant) => unlessTaken(tenantsRepository.insert(tx, t)),

  findById: (tx: Tx, id: string) => tx.maybeOne(sql.type(tenantRow)`SELECT ${columns} FROM tenants WHERE id = ${id}`),

  /** A tenant named by its externalId or its id. Only a well-formed uuid is compared with id. */
  findByIdOrExternalId: (tx: Tx, idOrExternal: string) => {
    const isUuid = isTenantId(idOrExternal);
    return tx.maybeOne(sql.type(tenantRow)`
      SELECT ${columns} FROM tenants
      WHERE external_id = ${idOrExternal} ${isUuid ? sql.fragment`OR id = ${idOrExternal}::uuid` : sql.fragment``}
      ORDER BY (external_id = ${idOrExternal}) DESC LIMIT 1`);
  },

  list: (tx: Tx, q: { limit: number; offset: number; search?: string }) =>
    tx.any(sql.type(tenantRow)`
      SELECT ${columns} FROM tenants
      WHERE ${q.search ? sql.fragment`(name ILIKE ${`%${q.search}%`} OR external_id ILIKE ${`%${q.search}%`} OR email ILIKE ${`%${q.search}%`})` : sql.fragment`true`}
      ORDER BY name, id LIMIT ${q.limit} OFFSET ${q.offset}`),

  /** Every tenant's id (operator scope): the tenants a cross-tenant usage read names. */
  allIds: (tx: Tx) => tx.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM tenants ORDER BY id`),

  count: (tx: Tx, search?: string) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM tenants
      WHERE ${search ? sql.fragment`(name ILIKE ${`%${search}%`} OR external_id ILIKE ${`%${search}%`} OR email ILIKE ${`%${search}%`})` : sql.fragment`true`}`),

  update: (tx: Tx, id: string, p: TenantPatch) => {
    const sets = [
      p.name !== undefined && sql.fragment`name = ${p.name}`,
      p.externalId !== undefined && sql.fragment`external_id = ${p.externalId}`,
      p.email !== undefined && sql.fragment`email = ${p.email}`,
      p.currency !== undefined && sql.fragment`currency = ${p.currency}`,
      p.timezone !== undefined && sql.fragment`timezone = ${p.timezone}`,
      p.taxRate !== undefined && sql.fragment`tax_rate = ${p.taxRate}`,
      p.budget !== undefined && sql.fragment`budget = ${p.budget}`,
      p.creditLowThreshold !== undefined && sql.fragment`credit_low_threshold = ${p.creditLowThreshold}`,
    ].filter((s) => s !== false);
    return tx.maybeOne(sql.type(tenantRow)`
      UPDATE tenants SET ${sql.join([...sets, sql.fragment`updated_at = now()`], sql.fragment`, `)}
      WHERE id = ${id} RETURNING ${columns}`);
  },

  /** update, with a taken externalId as its answer ('taken') rather than an error; null for no such tenant. */
  change: (tx: Tx, id: string, p: TenantPatch) => unlessTaken(tenantsRepository.update(tx, id, p)),
};
