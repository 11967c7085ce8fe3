import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

export const userRow = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(['admin', 'finance', 'customer']),
  tenant_id: z.string().nullable(),
  created_at: z.date(),
});
export type UserRow = z.infer<typeof userRow>;
const userWithHash = userRow.extend({ password_hash: z.string() });

export type NewUser = { email: string; name?: string; passwordHash: string; role: UserRow['role']; tenantId: string | null };

export const usersRepository = {
  insert: (tx: Tx, u: NewUser) =>
    tx.one(sql.type(userRow)`
      INSERT INTO users (email, name, password_hash, role, tenant_id)
      VALUES (${u.email}, ${u.name ?? null}, ${u.passwordHash}, ${u.role}, ${u.tenantId})
      RETURNING id, email, name, role, tenant_id, created_at`),

  findByEmailWithHash: (tx: Tx, email: string) =>
    tx.maybeOne(sql.type(userWithHash)`
      SELECT id, email, name, role, tenant_id, created_at, password_hash FROM users WHERE email = ${email}`),

  findById: (tx: Tx, id: string) =>
    tx.maybeOne(sql.type(userRow)`SELECT id, email, name, role, tenant_id, created_at FROM users WHERE id = ${id}`),

  list: (tx: Tx, page: { limit: number; offset: number }) =>
    tx.any(sql.type(userRow)`
      SELECT id, email, name, role, tenant_id, created_at FROM users
      ORDER BY created_at, id LIMIT ${page.limit} OFFSET ${page.offset}`),

  count: (tx: Tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users`),

  countAdmins: (tx: Tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`),
};
