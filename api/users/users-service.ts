import type { DatabasePool } from 'slonik';
import { ForeignKeyIntegrityConstraintViolationError } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository, type UserRow } from '../../db/postgres/users-repository.ts';
import { badRequest, notFound } from '../http/problem.ts';
import { planAccessChange } from './access-change.ts';
import type { PatchUser } from './user-schemas.ts';

export function createUsersService(deps: { pg: DatabasePool }) {
  return {
    /**
     * Changes a user's role (and tenant) or active flag. Any real change bumps the user's
     * token_version, so the tokens they hold stop working on every replica within the
     * session cache's lifetime; they sign in again to get the new role.
     */
    async changeAccess(actorId: string, userId: string, change: PatchUser): Promise<UserRow> {
      try {
        return await withOperator(deps.pg, async (tx) => {
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
          return changed ? usersRepository.updateAccess(tx, userId, next) : user;
        });
      } catch (err) {
        if (err instanceof ForeignKeyIntegrityConstraintViolationError) throw badRequest('tenantId', 'no such tenant');
        throw err;
      }
    },
  };
}
