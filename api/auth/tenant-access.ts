import type { Principal } from '../http/route.ts';
import type { Scope } from '../../db/postgres/tenant-scope.ts';
import { badRequest, notFound } from '../http/problem.ts';

/** The database scope a caller's requests run in: operators span tenants, everyone else is one tenant. */
export function scopeOf(principal: Principal): Scope {
  if (principal.kind === 'user' && (principal.role === 'admin' || principal.role === 'finance')) return { kind: 'operator' };
  return { kind: 'tenant', tenantId: principal.tenantId! };
}

export function isOperator(principal: Principal | null): boolean {
  return principal?.kind === 'user' && (principal.role === 'admin' || principal.role === 'finance');
}

/**
 * The tenant a request is about. Operators name it (required unless `optional`);
 * customers and API keys are their own tenant, and naming another one is a 404, the
 * same answer as for a missing resource, so existence does not leak (README.md, *Roles and
 * authentication*).
 */
export function resolveTenant(principal: Principal, requested: string | undefined, field = 'tenantId'): string {
  if (isOperator(principal)) {
    if (!requested) throw badRequest(field, 'is required for operator roles');
    return requested;
  }
  const own = principal.tenantId!;
  if (requested !== undefined && requested !== own) throw notFound('tenant');
  return own;
}

/** Like resolveTenant, but an operator may omit the tenant to mean "all tenants" (undefined). */
export function resolveTenantFilter(principal: Principal, requested: string | undefined): string | undefined {
  if (isOperator(principal)) return requested;
  return resolveTenant(principal, requested);
}
