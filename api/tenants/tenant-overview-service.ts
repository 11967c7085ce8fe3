import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { withScope } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { invoicesRepository } from '../../db/postgres/invoices-repository.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { creditLedgerRepository } from '../../db/postgres/credit-ledger-repository.ts';
import { toAlertView } from '../../domain/anomaly/index.ts';
import { formatAmount, fromMinorUnits } from '../../domain/money/index.ts';
import { apiKeysRepository } from '../../db/postgres/api-keys-repository.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import { HttpProblem, notFound } from '../http/problem.ts';
import type { Principal } from '../http/route.ts';
import type { MeterCatalog } from '../meters/meter-catalog.ts';
import type { LimitsService } from '../limits/limits-service.ts';
import { viewOfRow } from '../subscriptions/subscriptions-service.ts';
import { toInvoiceSummary } from '../invoices/invoice-schemas.ts';
import { createCreditsService, toLedgerEntry } from '../credits/credits-service.ts';
import { toTenant } from './tenant-schemas.ts';
import { toApiKey } from './api-key-schemas.ts';
import { TENANT_OVERVIEW_LIMITS as LIMITS, type TenantOverview } from './tenant-overview-schemas.ts';

/** The calendar month (UTC) around `at`: the period of a tenant without a live subscription. */
function monthOf(at: Date) {
  return {
    start: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)).toISOString(),
    end: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)).toISOString(),
  };
}

/**
 * What the tenant page shows about a tenant: the tenant, its newest subscriptions, invoices and
 * alerts, its API keys, its credit and its usage limits. Each part is encoded as its own route encodes it, so the
 * page sees the same shapes as from the single routes. The credit is read first, through the
 * credit routes' own service (which writes what has expired, and prices the open period); the
 * rest in one transaction after it, so the period's entries include those expiries. The usage
 * limits come from their own service, alongside the credit: their figures need the counters it
 * makes and reconciles.
 */
export function createTenantOverviewService(deps: {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  meters: MeterCatalog;
  limits: Pick<LimitsService, 'list'>;
}) {
  const credits = createCreditsService(deps);
  return {
    async overview(
      principal: Principal,
      id: string,
      query: { ledgerCursor?: string | undefined } = {},
      at = new Date(),
    ): Promise<TenantOverview> {
      const tenantId = resolveTenant(principal, id, 'id');
      const page = { offset: 0 };
      // Each answers the same 404 for a tenant this principal may not see.
      const [balance, ledger, usageLimits] = await Promise.all([
        credits.balance(principal, tenantId, at).catch((e: unknown) => {
          // The balance route answers 409 when the open period cannot be priced; the page still shows the rest.
          if (e instanceof HttpProblem && e.status === 409) return null;
          throw e;
        }),
        credits.ledger(principal, tenantId, { limit: LIMITS.ledger, cursor: query.ledgerCursor }, at),
        deps.limits.list(principal, tenantId),
      ]);
      return withScope(deps.pg, scopeOf(principal), async (tx) => {
        // Row-level security hides another tenant: a customer asking for one gets the 404 of a missing one.
        const tenant = await tenantsRepository.findById(tx, tenantId);
        if (!tenant) throw notFound('tenant');
        const filter = { tenantId };
        const keysVisible = principal.kind === 'user' && principal.role !== 'finance';
        const subscriptions = (await subscriptionsRepository.list(tx, { ...filter, ...page, limit: LIMITS.subscriptions })).map(viewOfRow);
        // The same period the page shows its usage for.
        const period = subscriptions.find((s) => s.status !== 'canceled' && s.currentPeriod)?.currentPeriod ?? monthOf(at);
        const inPeriod = await creditLedgerRepository.periodEntries(
          tx,
          tenantId,
          tenant.currency,
          new Date(period.start),
          LIMITS.periodEntries,
        );
        return {
          tenant: toTenant(tenant),
          subscriptions: { items: subscriptions, total: await subscriptionsRepository.count(tx, filter) },
          invoices: {
            items: (await invoicesRepository.list(tx, { ...filter, ...page, limit: LIMITS.invoices })).map(toInvoiceSummary),
            total: await invoicesRepository.count(tx, filter),
          },
          alerts: {
            items: (await alertsRepository.list(tx, { ...filter, ...page, limit: LIMITS.alerts })).map(toAlertView),
            total: await alertsRepository.count(tx, filter),
          },
          apiKeys: keysVisible ? (await apiKeysRepository.listForTenant(tx, tenantId)).map(toApiKey) : null,
          usageLimits,
          credits: {
            balance,
            ledger,
            period: {
              from: period.start,
              to: period.end,
              opening: formatAmount(fromMinorUnits(inPeriod.openingMinor, tenant.currency), tenant.currency),
              entries: inPeriod.entries.map((e) => toLedgerEntry(e, tenant.currency)),
            },
          },
        };
      });
    },
  };
}
