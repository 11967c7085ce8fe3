import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { unlessMissing, unlessTaken } from './write-refusals.ts';

export const userRow = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(['admin', 'finance', 'customer']),
  tenant_id: z.string().nullable(),
  created_at: z.date(),
  token_version: z.number(),
  deactivated_at: z.date().nullable(),
});
export type UserRow = z.infer<typeof userRow>;
const userWithHash = userRow.extend({ password_hash: z.string() });
const sessionState = userRow.pick({ role: true, tenant_id: true, token_version: true, deactivated_at: true });
export type UserSessionState = z.infer<typeof sessionState>;

const columns = sql.fragment`id, email, name, role, tenant_id, created_at, token_version, deactivated_at`;

export type NewUser = { email: string; name?: string; passwordHash: string; role: UserRow['role']; tenantId: string | null };
export type UserAccess = { role: UserRow['role']; tenantId: string | null; active: boolean };

export const usersRepository = {
  insert: (tx: Tx, u: NewUser) =>
    tx.one(sql.type(userRow)`
      INSERT INTO users (email, name, password_hash, role, tenant_id)
      VALUES (${u.email}, ${u.name ?? null}, ${u.passwordHash}, ${u.role}, ${u.tenantId})
      RETURNING ${columns}`),

  /** insert, with a taken email ('taken') or an unknown tenant ('missing') as its answer rather than an error. */
  create: (tx: Tx, u: NewUser) => unlessTaken(unlessMissing(usersRepository.insert(tx, u))),

  findByEmailWithHash: (tx: Tx, email: string) =>
    tx.maybeOne(sql.type(userWithHash)`SELECT ${columns}, password_hash FROM users WHERE email = ${email}`),

  findById: (tx: Tx, id: string) => tx.maybeOne(sql.type(userRow)`SELECT ${columns} FROM users WHERE id = ${id}`),

  /** What a session token is checked against. */
  findSessionState: (tx: Tx, id: string) =>
    tx.maybeOne(sql.type(sessionState)`SELECT role, tenant_id, token_version, deactivated_at FROM users WHERE id = ${id}`),

  /**
   * Serialises every change of a user's role or active flag until the transaction ends, so
   * two concurrent changes cannot each see another active admin and together leave none.
   */
  lockAccessChanges: (tx: Tx) => tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended('users: role and active', 0))`),

  countActiveAdminsOtherThan: (tx: Tx, id: string) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND deactivated_at IS NULL AND id <> ${id}`),

  /**
   * Sets role, tenant and active flag, and bumps token_version so the user's existing tokens
   * stop working. An unknown tenant is 'missing'.
   */
  updateAccess: (tx: Tx, id: string, a: UserAccess) =>
    unlessMissing(
      tx.one(sql.type(userRow)`
      UPDATE users SET
        role = ${a.role},
        tenant_id = ${a.tenantId},
        deactivated_at = CASE WHEN ${a.active} THEN NULL ELSE coalesce(deactivated_at, now()) END,
        token_version = token_version + 1
      WHERE id = ${id}
      RETURNING ${columns}`),
    ),

  list: (tx: Tx, page: { limit: number; offset: number }) =>
    tx.any(sql.type(userRow)`SELECT ${columns} FROM users ORDER BY created_at, id LIMIT ${page.limit} OFFSET ${page.offset}`),

  count: (tx: Tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users`),

  countAdmins: (tx: Tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`),
};
