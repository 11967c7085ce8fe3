import type { UserAccess } from '../../db/postgres/users-repository.ts';
import type { PatchUser } from './user-schemas.ts';
import { conflict } from '../http/problem.ts';

/**
 * What a PATCH of a user's role or active flag leads to, and whether it is allowed. Pure, so
 * the rules are tested on their own; the caller runs it under a lock on all such changes,
 * with `otherActiveAdmins` counted inside that lock.
 *
 * - Nobody deactivates their own account: that is always another admin's act, so an admin
 *   cannot lock themselves out by a slip of the hand.
 * - No change may leave the system without an active admin (demoting or deactivating the
 *   last one): 409.
 * - A change to what the user already is changes nothing (and keeps their tokens valid).
 */
export function planAccessChange(input: {
  actorId: string;
  userId: string;
  current: UserAccess;
  change: PatchUser;
  otherActiveAdmins: number;
}): { next: UserAccess; changed: boolean } {
  const { current, change } = input;
  const role = change.role ?? current.role;
  const next: UserAccess = {
    role,
    tenantId: change.role === undefined ? current.tenantId : (change.tenantId ?? null),
    active: change.active ?? current.active,
  };
  const changed = next.role !== current.role || next.tenantId !== current.tenantId || next.active !== current.active;
  if (!changed) return { next, changed };
  if (input.actorId === input.userId && current.active && !next.active) {
    throw conflict('active', 'you cannot deactivate your own account; another admin can');
  }
  const removesAnAdmin = current.role === 'admin' && current.active && !(next.role === 'admin' && next.active);
  if (removesAnAdmin && input.otherActiveAdmins === 0) {
    throw conflict(next.active ? 'role' : 'active', 'this is the last active admin; make another user admin first');
  }
  return { next, changed };
}
