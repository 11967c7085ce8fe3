import { z } from 'zod';
import type { UserRow } from '../../db/postgres/users-repository.ts';
import { emailSchema, passwordSchema, roleSchema, userSchema } from '../auth/auth-schemas.ts';
import { publicUser } from '../auth/auth-service.ts';
import { ROLES, type Role } from '../http/route.ts';

/** A user as the admin's user management sees it: the session's User plus whether they may sign in. */
export const userAccountSchema = userSchema
  .extend({ active: z.boolean().describe('false once deactivated: the user can no longer sign in, and their tokens stop working') })
  .meta({ id: 'UserAccount' });

export const toUserAccount = (u: UserRow) => ({ ...publicUser(u), active: u.deactivated_at === null });

export const userIdParams = z.strictObject({ id: z.uuid() });

/** A customer belongs to exactly one tenant; admin and finance staff to none. */
function checkTenantForRole(b: { role?: Role; tenantId?: string }, ctx: z.RefinementCtx) {
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['tenantId'], message });
  if (b.role === 'customer' && !b.tenantId) issue('is required for the customer role');
  else if (b.role !== 'customer' && b.tenantId)
    issue(b.role ? `must not be given for the ${b.role} role` : 'is given only together with role customer');
}

export const createUserBody = z
  .strictObject({ email: emailSchema, password: passwordSchema, role: roleSchema, tenantId: z.uuid().optional() })
  .superRefine(checkTenantForRole)
  .meta({
    // The same rule as JSON Schema states it, so clients and the fuzzer know it.
    anyOf: [
      { properties: { role: { const: 'customer' } }, required: ['tenantId'] },
      { properties: { role: { enum: ROLES.filter((r) => r !== 'customer') } }, not: { required: ['tenantId'] } },
    ],
  });

export const patchUserBody = z
  .strictObject({
    role: roleSchema.optional(),
    tenantId: z.uuid().optional().describe('the tenant of a customer: required with role customer, refused otherwise'),
    active: z.boolean().optional().describe('false deactivates the user, true lets them sign in again'),
  })
  .superRefine((b, ctx) => {
    if (b.role === undefined && b.active === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'give role, active or both' });
    checkTenantForRole(b, ctx);
  });
export type PatchUser = z.output<typeof patchUserBody>;
export type CreateUser = z.output<typeof createUserBody>;
