import { log } from '@temporalio/activity';
import { Decimal, OutOfRangeError, formatAmount, toDecimal, toStoredDecimal } from '../../domain/money/index.ts';
import { quotePlan, type Usage } from '../../domain/pricing/index.ts';
import { budgetLevelToRaise, budgetLevelsFor, budgetSeverity } from '../../domain/anomaly/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository, toAlertRule, type BudgetCandidateRow } from '../../db/postgres/alerts-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import type { ActivityDeps } from '../deps.ts';
import { raiseAlert } from './raise-alert.ts';
import type { RaisedAlert } from './scan-anomalies.ts';

export type CheckBudgetsInput = { at: string };
export type CheckBudgetsResult = { tenants: number; raised: RaisedAlert[] };

/**
 * Budget thresholds: for each tenant with a budget, the estimated charges of its current
 * period so far (the period's usage up to now, rated by the plan with quotePlan: base fee +
 * usage charges + tax, exactly as the invoice will be) compared with the budget. The highest
 * level reached (default 50/80/100 %) is raised once per period (alerts' dedup key).
 */
export function createBudgetActivities(deps: ActivityDeps) {
  return {
    async checkBudgets(input: CheckBudgetsInput): Promise<CheckBudgetsResult> {
      const at = new Date(input.at);
      const { candidates, rules } = await withOperator(deps.pg, async (tx) => ({
        candidates: await alertsRepository.budgetCandidates(tx, at),
        rules: (await alertsRepository.listRules(tx)).map(toAlertRule),
      }));
      if (candidates.length === 0) return { tenants: 0, raised: [] };
      const usage = deps.usage;
      if (!usage) {
        // The worker wires the metering usage source (ActivityDeps.usage); without it budgets cannot be estimated.
        log.warn('budget checks skipped: no usage source is configured (ActivityDeps.usage)');
        return { tenants: 0, raised: [] };
      }

      const byTenant = new Map<string, BudgetCandidateRow[]>();
      for (const c of candidates) byTenant.set(c.tenant_id, [...(byTenant.get(c.tenant_id) ?? []), c]);

      const checkTenant = async (tenantId: string, subs: BudgetCandidateRow[]): Promise<RaisedAlert | null> => {
        const { budget, currency, tax_rate: taxRate } = subs[0]!;
        // A tenant normally has one subscription; with several, their estimates add up and the
        // "period" is the span of their current periods.
        let spent = new Decimal(0);
        for (const sub of subs) {
          const record = await withOperator(deps.pg, (tx) => plansRepository.findById(tx, sub.plan_id, sub.plan_version));
          if (!record || record.plan.currency !== currency) continue;
          const to = at < sub.period_end ? at : sub.period_end;
          const quantities: Record<string, string> = {};
          for (const meter of new Set(record.plan.charges.map((c) => c.meter))) {
            quantities[meter] = (await usage.read({ tenantId, meter, from: sub.period_start, to })).quantity;
          }
          spent = spent.plus(quotePlan(record.plan, quantities as Usage, taxRate).total);
        }
        const periodStart = new Date(Math.min(...subs.map((s) => s.period_start.getTime())));
        const periodEnd = new Date(Math.max(...subs.map((s) => s.period_end.getTime())));
        const already = await withOperator(deps.pg, (tx) => alertsRepository.budgetLevelsRaised(tx, tenantId, periodStart, periodEnd));
        const level = budgetLevelToRaise(spent, budget, budgetLevelsFor(rules, tenantId), already);
        if (level === null) return null;
        toStoredDecimal(spent, 'the estimated charges');
        const spentText = formatAmount(spent, currency);
        const budgetText = formatAmount(toDecimal(budget), currency);
        const alert = await raiseAlert(
          deps.pg,
          {
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
          },
        );
        return alert;
      };

      const raised: RaisedAlert[] = [];
      for (const [tenantId, subs] of byTenant) {
        try {
          const alert = await checkTenant(tenantId, subs);
          if (alert) raised.push(alert);
        } catch (err) {
          // One tenant's usage or estimate too large to store must not stop every other tenant's
          // check; its invoice raises billing_failed when the period closes.
          if (!(err instanceof OutOfRangeError)) throw err;
          log.error('budget check skipped for a tenant: its numbers are out of range', { tenantId, reason: err.message });
        }
      }
      return { tenants: byTenant.size, raised };
    },
  };
}
