import type { DatabasePool } from 'slonik';
import type { z } from 'zod';
import { withOperator, withScope } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { badRequest, conflict, notFound } from '../http/problem.ts';
import type { Principal } from '../http/route.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import { creditThresholdProblem, toTenant, type createTenantBody, type patchTenantBody, type tenantSchema } from './tenant-schemas.ts';

type Tenant = z.infer<typeof tenantSchema>;
const externalIdTaken = () => conflict('externalId', 'is already used by another tenant');

/** A 400 naming creditLowThreshold when it has more decimals than the currency it is kept in. */
function checkThreshold(threshold: string | null | undefined, currency: string) {
  const problem = creditThresholdProblem(threshold ?? null, currency);
  if (problem) throw badRequest('creditLowThreshold', problem);
}

/** Tenants: operators list and change them; a customer reads only their own (another is 404). */
export function createTenantsService(deps: { pg: DatabasePool }) {
  const { pg } = deps;
  return {
    async list(q: { limit: number; offset: number; q?: string | undefined }): Promise<{ items: Tenant[]; total: number }> {
      const [items, total] = await withOperator(pg, (tx) =>
        Promise.all([tenantsRepository.list(tx, { ...q, search: q.q }), tenantsRepository.count(tx, q.q)]),
      );
      return { items: items.map(toTenant), total };
    },

    /** externalId is unique: a taken one is 409. */
    async create(body: z.output<typeof createTenantBody>): Promise<Tenant> {
      checkThreshold(body.creditLowThreshold, body.currency ?? 'USD');
      const tenant = await withOperator(pg, async (tx) => {
        const created = await tenantsRepository.create(tx, body);
        if (created === 'taken') throw externalIdTaken();
        return created;
      });
      return toTenant(tenant);
    },

    async get(principal: Principal, requested: string): Promise<Tenant> {
      const id = resolveTenant(principal, requested, 'id');
      const tenant = await withScope(pg, scopeOf(principal), (tx) => tenantsRepository.findById(tx, id));
      if (!tenant) throw notFound('tenant');
      return toTenant(tenant);
    },

    async update(id: string, patch: z.output<typeof patchTenantBody>): Promise<Tenant> {
      const tenant = await withOperator(pg, async (tx) => {
        // Checked against the tenant as it will be: a new currency and the kept threshold must agree too.
        if (patch.creditLowThreshold !== undefined || patch.currency !== undefined) {
          const before = await tenantsRepository.findById(tx, id);
          if (!before) return null;
          checkThreshold(
            patch.creditLowThreshold === undefined ? before.credit_low_threshold : patch.creditLowThreshold,
            patch.currency ?? before.currency,
          );
        }
        const changed = await tenantsRepository.change(tx, id, patch);
        if (changed === 'taken') throw externalIdTaken();
        return changed;
      });
      if (!tenant) throw notFound('tenant');
      return toTenant(tenant);
    },
  };
}
