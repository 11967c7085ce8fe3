import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository, type UserRow } from '../../db/postgres/users-repository.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import { hashPassword } from '../auth/passwords.ts';
import { planAccessChange } from './access-change.ts';
import type { CreateUser, PatchUser } from './user-schemas.ts';

const noSuchTenant = () => badRequest('tenantId', 'no such tenant');

/** Users, which admins manage (operator scope). */
export function createUsersService(deps: { pg: DatabasePool }) {
  return {
    /** A taken email is 409, an unknown tenant 400. */
    async create(body: CreateUser): Promise<UserRow> {
      const passwordHash = await hashPassword(body.password);
      return withOperator(deps.pg, async (tx) => {
        const user = await usersRepository.create(tx, {
          email: body.email,
          passwordHash,
          role: body.role,
          tenantId: body.tenantId ?? null,
        });
        if (user === 'taken') throw conflict('email', 'is already registered');
        if (user === 'missing') throw noSuchTenant();
        return user;
      });
    },

    async list(page: { limit: number; offset: number }): Promise<{ items: readonly UserRow[]; total: number }> {
      const [items, total] = await withOperator(deps.pg, (tx) => Promise.all([usersRepository.list(tx, page), usersRepository.count(tx)]));
      return { items, total };
    },

    /**
     * Changes a user's role (and tenant) or active flag. Any real change bumps the user's
     * token_version, so the tokens they hold stop working on every replica within the
     * session cache's lifetime; they sign in again to get the new role.
     */
    async changeAccess(actorId: string, userId: string, change: PatchUser): Promise<UserRow> {
      return withOperator(deps.pg, async (tx) => {
        await usersRepository.lockAccessChanges(tx);
        const user = await usersRepository.findById(tx, userId);
        if (!user) throw notFound('user');
        const { next, changed } = planAccessChange({
          actorId,
          userId,
          current: { role: user.role, tenantId: user.tenant_id, active: user.deactivated_at === null },
          change,
          otherActiveAdmins: await usersRepository.countActiveAdminsOtherThan(tx, userId),
        });
        if (!changed) return user;
        const updated = await usersRepository.updateAccess(tx, userId, next);
        if (updated === 'missing') throw noSuchTenant();
        return updated;
      });
    },
  };
}
