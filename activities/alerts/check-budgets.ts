import { log } from '@temporalio/activity';
import { Decimal, formatAmount, toDecimal, toStoredDecimal } from '../../domain/money/index.ts';
import { estimatePeriodSoFar } from '../../domain/billing/index.ts';
import { budgetLevelToRaise, budgetLevelsFor, budgetSeverity, type AlertRule } from '../../domain/anomaly/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository, toAlertRule, type BudgetCandidateRow } from '../../db/postgres/alerts-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import type { ActivityDeps } from '../deps.ts';
import type { UsageSource } from '../invoices/usage-source.ts';
import { raiseAlert } from './raise-alert.ts';
import { isolateFailures, type FailureSummary } from './isolate-failures.ts';
import type { RaisedAlert } from './scan-anomalies.ts';

export type CheckBudgetsInput = { at: string };
export type CheckBudgetsResult = FailureSummary & { tenants: number; raised: RaisedAlert[] };

type Isolate = ReturnType<typeof isolateFailures>['run'];

/**
 * The estimated charges of a tenant's current period(s) so far, or null when a meter's usage
 * could not be read (each such meter is recorded as a failure): a partial estimate must not
 * decide a budget level.
 */
async function estimateCharges(deps: ActivityDeps, usage: UsageSource, isolate: Isolate, tenantId: string, subs: readonly BudgetCandidateRow[], at: Date): Promise<Decimal | null> {
  const { currency, tax_rate: taxRate } = subs[0]!;
  // A tenant normally has one subscription; with several, their estimates add up.
  let spent = new Decimal(0);
  let complete = true;
  for (const sub of subs) {
    const record = await withOperator(deps.pg, (tx) => plansRepository.findById(tx, sub.plan_id, sub.plan_version));
    if (!record || record.plan.currency !== currency) continue;
    const estimate = await estimatePeriodSoFar(
      { plan: record.plan, periodStart: sub.period_start, periodEnd: sub.period_end, at, taxRate },
      async (meter, from, to) => (await isolate({ tenantId, meter }, () => usage.read({ tenantId, meter, from, to })))?.quantity,
    );
    if (estimate === null) complete = false;
    else if (complete) spent = spent.plus(estimate.quote.total);
  }
  return complete ? spent : null;
}

/** One tenant's check: the level to raise now, if any, as an alert (null: nothing new). */
async function checkTenant(deps: ActivityDeps, usage: UsageSource, isolate: Isolate, rules: readonly AlertRule[], tenantId: string, subs: readonly BudgetCandidateRow[], at: Date) {
  const spent = await estimateCharges(deps, usage, isolate, tenantId, subs, at);
  if (spent === null) return null;
  const { budget, currency } = subs[0]!;
  // The "period" of several subscriptions is the span of their current periods.
  const periodStart = new Date(Math.min(...subs.map((s) => s.period_start.getTime())));
  const periodEnd = new Date(Math.max(...subs.map((s) => s.period_end.getTime())));
  const already = await withOperator(deps.pg, (tx) => alertsRepository.budgetLevelsRaised(tx, tenantId, periodStart, periodEnd));
  const level = budgetLevelToRaise(spent, budget, budgetLevelsFor(rules, tenantId), already);
  if (level === null) return null;
  // An estimate too large to store fails this tenant alone (isolated like any other failure);
  // its invoice raises billing_failed when the period closes.
  toStoredDecimal(spent, 'the estimated charges');
  const spentText = formatAmount(spent, currency);
  const budgetText = formatAmount(toDecimal(budget), currency);
  return raiseAlert(deps.pg, {
    tenantId,
    meter: null,
    kind: 'budget_threshold',
    severity: budgetSeverity(level),
    windowStart: periodStart,
    windowEnd: periodEnd,
    level,
    observed: spent.toFixed(),
    expected: toDecimal(budget).toFixed(),
    currency,
    message: `Estimated charges of ${spentText} ${currency} for the current period reached ${level} % of the budget of ${budgetText} ${currency}`,
    details: { subscriptions: subs.map((s) => s.subscription_id), estimatedAt: at.toISOString() },
  });
}

/**
 * Budget thresholds: for each tenant with a budget, the estimated charges of its current
 * period so far (the period's usage up to now, rated by the plan with quotePlan: base fee +
 * usage charges + tax, exactly as the invoice will be; domain/billing's estimatePeriodSoFar, which
 * the estimate route shares) compared with the budget. The highest
 * level reached (default 50/80/100 %) is raised once per period (alerts' dedup key). Each
 * tenant, and each meter's usage read, is isolated: one that fails is logged and reported in
 * `failed`/`failures`, and the other tenants are checked.
 */
export function createBudgetActivities(deps: ActivityDeps) {
  return {
    async checkBudgets(input: CheckBudgetsInput): Promise<CheckBudgetsResult> {
      const at = new Date(input.at);
      const { candidates, rules } = await withOperator(deps.pg, async (tx) => ({
        candidates: await alertsRepository.budgetCandidates(tx, at),
        rules: (await alertsRepository.listRules(tx)).map(toAlertRule),
      }));
      const failures = isolateFailures('budget_check');
      if (candidates.length === 0) return { tenants: 0, raised: [], ...failures.summary };
      const usage = deps.usage;
      if (!usage) {
        // The worker wires the metering usage source (ActivityDeps.usage); without it budgets cannot be estimated.
        log.warn('budget checks skipped: no usage source is configured (ActivityDeps.usage)');
        return { tenants: 0, raised: [], ...failures.summary };
      }

      const byTenant = new Map<string, BudgetCandidateRow[]>();
      for (const c of candidates) byTenant.set(c.tenant_id, [...(byTenant.get(c.tenant_id) ?? []), c]);

      const raised: RaisedAlert[] = [];
      for (const [tenantId, subs] of byTenant) {
        const alert = await failures.run({ tenantId }, () => checkTenant(deps, usage, failures.run, rules, tenantId, subs, at));
        if (alert) raised.push(alert);
      }
      failures.report();
      return { tenants: byTenant.size, raised, ...failures.summary };
    },
  };
}
