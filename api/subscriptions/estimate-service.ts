import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { withScope, type Scope, type Tx } from '../../db/postgres/tenant-scope.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { meteredUsageOf, readMeterUsage } from '../../db/clickhouse/usage-reader.ts';
import { estimatePeriodSoFar, withMoreUsage } from '../../domain/billing/index.ts';
import { quoteRangeProblem } from '../../domain/pricing/index.ts';
import { toDecimalString, toDecimal } from '../../domain/money/index.ts';
import type { MeterCatalog } from '../meters/meter-catalog.ts';
import type { Meter } from '../../domain/metering/index.ts';
import { HttpProblem, notFound } from '../http/problem.ts';
import type { SubscriptionEstimate } from './estimate-schemas.ts';

/**
 * The current period so far, priced: the same composition as the budget check
 * (estimatePeriodSoFar), over the usage reader billing uses, with the subscription's plan version.
 */
export function createEstimateService(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; meters: MeterCatalog }) {
  return {
    /**
     * `more` adds quantities to meters' usage so far (meter code → quantity): what the period
     * would cost once they are used (a credit-mode authorization prices its quantity so).
     */
    async estimate(scope: Scope, id: string, at = new Date(), more?: ReadonlyMap<string, string>): Promise<SubscriptionEstimate> {
      const meters = await deps.meters.all();
      return priced(await withScope(deps.pg, scope, (tx) => subscriptionOf(tx, id)), meters, at, more);
    },

    /**
     * The estimate with the subscription read in `tx` and the meters the caller read before its
     * transaction: a caller holding a connection (and maybe locks) takes no second one, which
     * concurrent callers could wait on forever once the pool is theirs.
     */
    async estimateIn(
      tx: Tx,
      id: string,
      meters: readonly Meter[],
      at: Date,
      more?: ReadonlyMap<string, string>,
    ): Promise<SubscriptionEstimate> {
      return priced(await subscriptionOf(tx, id), meters, at, more);
    },
  };

  // Row-level security hides another tenant's subscription: a customer gets the 404 of a missing one.
  async function subscriptionOf(tx: Tx, id: string) {
    const sub = await subscriptionsRepository.findById(tx, id);
    if (!sub) throw notFound('subscription');
    const tenant = await tenantsRepository.findById(tx, sub.tenant_id);
    const record = await plansRepository.findById(tx, sub.plan_id, sub.plan_version);
    return { sub, taxRate: tenant!.tax_rate, record: record! };
  }

  async function priced(
    found: Awaited<ReturnType<typeof subscriptionOf>>,
    meters: readonly Meter[],
    at: Date,
    more: ReadonlyMap<string, string> | undefined,
  ): Promise<SubscriptionEstimate> {
    const { sub, record, taxRate } = found;
    if (sub.status === 'canceled' || sub.status === 'trialing' || !sub.current_period_start || !sub.current_period_end) {
      throw new HttpProblem(
        409,
        sub.status === 'trialing'
          ? 'the subscription is in its trial: the period bills nothing yet'
          : 'the subscription has no current period to estimate',
      );
    }
    const estimate = await estimatePeriodSoFar(
      { plan: record.plan, periodStart: sub.current_period_start, periodEnd: sub.current_period_end, at, taxRate },
      async (code, from, to, groupBy) => {
        const meter = meters.find((m) => m.code === code);
        if (!meter) throw new HttpProblem(409, `meter ${code} of the plan is not defined: its usage cannot be read`);
        const measured = meteredUsageOf(
          await readMeterUsage(deps.clickhouse, { tenantId: sub.tenant_id, meter, from, to, ...(groupBy ? { groupBy } : {}) }),
          groupBy,
        );
        const extra = more?.get(code);
        return extra === undefined ? measured : withMoreUsage(measured, extra, groupBy?.[0]);
      },
    );
    // Every read either answers or throws, so an estimate is always complete here.
    const { quote, from, to } = estimate!;
    const tooLarge = quoteRangeProblem(quote);
    if (tooLarge) throw new HttpProblem(409, `the period so far could not be invoiced: ${tooLarge.message}`);
    return {
      subscriptionId: sub.id,
      tenantId: sub.tenant_id,
      planId: sub.plan_id,
      planVersion: sub.plan_version,
      period: { start: sub.current_period_start.toISOString(), end: sub.current_period_end.toISOString() },
      window: { from: from.toISOString(), to: to.toISOString() },
      estimatedAt: at.toISOString(),
      taxRate: toDecimalString(toDecimal(taxRate)),
      currency: quote.currency,
      baseFee: quote.baseFee,
      lines: quote.lines,
      subtotal: quote.subtotal,
      tax: quote.tax,
      total: quote.total,
    };
  }
}
