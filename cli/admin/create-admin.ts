import { randomBytes } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository } from '../../db/postgres/users-repository.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../api/auth/passwords.ts';

export const DEFAULT_ADMIN_EMAIL = 'admin@meterplane.local';

export async function createAdmin(pg: DatabasePool, email: string, password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const passwordHash = await hashPassword(password);
  const user = await withOperator(pg, (tx) =>
    usersRepository.create(tx, { email: email.trim().toLowerCase(), passwordHash, role: 'admin', tenantId: null }),
  );
  if (user === 'taken') throw new Error(`a user with email ${email} already exists`);
  if (user === 'missing') throw new Error('an admin names no tenant, yet the database found its tenant missing');
  return user;
}

/**
 * On a new DATA_DIR (no admin yet) creates the first admin from ADMIN_EMAIL and
 * ADMIN_PASSWORD, generating a password when none is given. Returns what to print once.
 */
export async function ensureFirstAdmin(pg: DatabasePool, email: string | undefined, password: string | undefined) {
  const admins = await withOperator(pg, (tx) => usersRepository.countAdmins(tx));
  if (admins > 0) return undefined;
  const chosen = password ?? randomBytes(12).toString('base64url');
  const user = await createAdmin(pg, email ?? DEFAULT_ADMIN_EMAIL, chosen);
  return { email: user.email, password: chosen, generated: password === undefined };
}
