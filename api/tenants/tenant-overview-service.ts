import type { DatabasePool } from 'slonik';
import { withScope } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { invoicesRepository } from '../../db/postgres/invoices-repository.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { toAlertView } from '../../domain/anomaly/index.ts';
import { apiKeysRepository } from '../../db/postgres/api-keys-repository.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import { notFound } from '../http/problem.ts';
import type { Principal } from '../http/route.ts';
import type { LimitsService } from '../limits/limits-service.ts';
import { viewOfRow } from '../subscriptions/subscriptions-service.ts';
import { toInvoiceSummary } from '../invoices/invoice-schemas.ts';
import { toTenant } from './tenant-schemas.ts';
import { toApiKey } from './api-key-schemas.ts';
import { TENANT_OVERVIEW_LIMITS as LIMITS, type TenantOverview } from './tenant-overview-schemas.ts';

/**
 * What the tenant page shows about a tenant, read in one transaction: the tenant, its newest
 * subscriptions, invoices and alerts, and its API keys. Each part is encoded as its own route
 * encodes it, so the page sees the same shapes as from the single routes. The usage limits come
 * from their own service, alongside: their figures need the counters it makes and reconciles.
 */
export function createTenantOverviewService(deps: { pg: DatabasePool; limits: Pick<LimitsService, 'list'> }) {
  const service = {
    async overview(principal: Principal, id: string): Promise<TenantOverview> {
      const tenantId = resolveTenant(principal, id, 'id');
      // Both answer the same 404 for a tenant this principal may not see.
      const [parts, usageLimits] = await Promise.all([service.parts(principal, tenantId), deps.limits.list(principal, tenantId)]);
      return { ...parts, usageLimits };
    },

    /** Everything but the limits, in one transaction. */
    async parts(principal: Principal, tenantId: string): Promise<Omit<TenantOverview, 'usageLimits'>> {
      const page = { offset: 0 };
      return withScope(deps.pg, scopeOf(principal), async (tx) => {
        // Row-level security hides another tenant: a customer asking for one gets the 404 of a missing one.
        const tenant = await tenantsRepository.findById(tx, tenantId);
        if (!tenant) throw notFound('tenant');
        const filter = { tenantId };
        const keysVisible = principal.kind === 'user' && principal.role !== 'finance';
        return {
          tenant: toTenant(tenant),
          subscriptions: {
            items: (await subscriptionsRepository.list(tx, { ...filter, ...page, limit: LIMITS.subscriptions })).map(viewOfRow),
            total: await subscriptionsRepository.count(tx, filter),
          },
          invoices: {
            items: (await invoicesRepository.list(tx, { ...filter, ...page, limit: LIMITS.invoices })).map(toInvoiceSummary),
            total: await invoicesRepository.count(tx, filter),
          },
          alerts: {
            items: (await alertsRepository.list(tx, { ...filter, ...page, limit: LIMITS.alerts })).map(toAlertView),
            total: await alertsRepository.count(tx, filter),
          },
          apiKeys: keysVisible ? (await apiKeysRepository.listForTenant(tx, tenantId)).map(toApiKey) : null,
        };
      });
    },
  };
  return service;
}
