import { log } from '@temporalio/activity';
import { Decimal, formatAmount, toDecimal, toStoredDecimal } from '../../domain/money/index.ts';
import { estimatePeriodSoFar, groupByOf, periodSoFarWindow } from '../../domain/billing/index.ts';
import { budgetLevelToRaise, budgetLevelsFor, budgetSeverity, type AlertRule } from '../../domain/anomaly/index.ts';
import { mapBounded } from '../../domain/concurrency/index.ts';
import type { Plan } from '../../domain/pricing/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository, toAlertRule } from '../../db/postgres/alerts-repository.ts';
import {
  budgetCandidatesRepository,
  pageRanges,
  type BudgetCandidateRow,
  type BudgetPage,
  type BudgetPageRange,
} from '../../db/postgres/budget-candidates-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import type { ActivityDeps } from '../deps.ts';
import { readUsageBatch, type MeasuredUsage, type UsageQuery, type UsageSource } from '../invoices/usage-source.ts';
import { heartbeat } from '../heartbeat.ts';
import { raiseAlert } from './raise-alert.ts';
import { sendRaisedAlerts } from './send-raised-alerts.ts';
import { isolateFailures, type FailureSummary } from './isolate-failures.ts';
import type { RaisedAlert } from './scan-anomalies.ts';

export type CheckBudgetsInput = { at: string };
/**
 * `raisedCount` is there when the check sent its alerts' webhooks itself: `raised` then lists the
 * first MAX_LISTED_RAISED of them (domain/anomaly's listRaised).
 */
export type CheckBudgetsResult = FailureSummary & { tenants: number; raised: RaisedAlert[]; raisedCount?: number };
/** The tenants to check at `at`, in pages of their ids (runs started before page ranges). */
export type BudgetPages = { pages: string[][] };
/** The pages of the check at `at` as key ranges; each page is one checkBudgetPage. */
export type BudgetPageRanges = { ranges: BudgetPage[] };
export type { BudgetPageRange };
/**
 * A page: its tenants' ids (runs started before page ranges) or its range. `sendWebhooks`: the
 * page sends alert.created for the alerts it raises (sendRaisedAlerts) and lists only the first few.
 */
export type CheckBudgetPageInput = { at: string; sendWebhooks?: boolean } & ({ tenantIds: string[] } | { range: BudgetPageRange });

/**
 * Tenants per page. A page is one activity: its usage reads are one batched query per meter
 * (at most WINDOWS_PER_READ windows each), so 200 tenants with 3 budgeted meters are 3 queries,
 * and its result (the alerts it raised) stays far below Temporal's payload limit.
 */
export const BUDGET_TENANTS_PER_PAGE = 200;
/** Tenants of a page whose estimates and alerts (PostgreSQL round trips) run at once. */
const TENANTS_AT_ONCE = 8;

type Isolate = ReturnType<typeof isolateFailures>['run'];
type PlanOf = (sub: BudgetCandidateRow) => Promise<Plan | null>;
/** The usage read ahead for a subscription's meter in its window so far. */
type ReadAhead = Map<string, PromiseSettledResult<MeasuredUsage>>;

const aheadKey = (subscriptionId: string, meter: string, from: Date, to: Date) =>
  JSON.stringify([subscriptionId, meter, from.getTime(), to.getTime()]);

/**
 * The estimated charges of a tenant's current period(s) so far, or null when a meter's usage
 * could not be read (each such meter is recorded as a failure): a partial estimate must not
 * decide a budget level. Usage comes from what was read ahead; a window that was not (none
 * should be missing) is read on its own.
 */
async function estimateCharges(
  planOf: PlanOf,
  usage: UsageSource,
  ahead: ReadAhead,
  isolate: Isolate,
  tenantId: string,
  subs: readonly BudgetCandidateRow[],
  at: Date,
): Promise<Decimal | null> {
  const { currency, tax_rate: taxRate } = subs[0]!;
  // A tenant normally has one subscription; with several, their estimates add up.
  let spent = new Decimal(0);
  let complete = true;
  for (const sub of subs) {
    const plan = await planOf(sub);
    if (!plan || plan.currency !== currency) continue;
    const estimate = await estimatePeriodSoFar(
      { plan, periodStart: sub.period_start, periodEnd: sub.period_end, at, taxRate },
      (meter, from, to, groupBy) =>
        isolate({ tenantId, meter }, async () => {
          const read = ahead.get(aheadKey(sub.subscription_id, meter, from, to));
          if (!read) return usage.read({ tenantId, meter, from, to, ...(groupBy ? { groupBy } : {}) });
          if (read.status === 'rejected') throw read.reason;
          return read.value;
        }),
    );
    if (estimate === null) complete = false;
    else if (complete) spent = spent.plus(estimate.quote.total);
  }
  return complete ? spent : null;
}

/** One tenant's check: the level to raise now, if any, as an alert (null: nothing new). */
/** The levels already raised for a tenant in a period. */
type LevelsRaised = (tenantId: string, periodStart: Date, periodEnd: Date) => number[];

async function checkTenant(
  deps: ActivityDeps,
  estimate: () => Promise<Decimal | null>,
  levelsRaised: LevelsRaised,
  rules: readonly AlertRule[],
  tenantId: string,
  subs: readonly BudgetCandidateRow[],
  at: Date,
) {
  const spent = await estimate();
  if (spent === null) return null;
  const { budget, currency } = subs[0]!;
  // The "period" of several subscriptions is the span of their current periods.
  const periodStart = new Date(Math.min(...subs.map((s) => s.period_start.getTime())));
  const periodEnd = new Date(Math.max(...subs.map((s) => s.period_end.getTime())));
  const already = levelsRaised(tenantId, periodStart, periodEnd);
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
 * Checks the tenants of `candidates` (one page, or all of them): first every plan version they
 * use (once each), then every (subscription, meter) window so far in batched reads, then each
 * tenant's estimate and alert, a few tenants at a time. Each tenant, and each meter's read, is
 * isolated in `failures`.
 */
async function checkTenants(
  deps: ActivityDeps,
  usage: UsageSource,
  failures: ReturnType<typeof isolateFailures>,
  rules: readonly AlertRule[],
  candidates: readonly BudgetCandidateRow[],
  at: Date,
): Promise<CheckBudgetsResult> {
  const byTenant = new Map<string, BudgetCandidateRow[]>();
  for (const c of candidates) byTenant.set(c.tenant_id, [...(byTenant.get(c.tenant_id) ?? []), c]);

  // A plan version that cannot be loaded fails the tenants on it (inside their isolation), not the page.
  const plans = new Map<string, Promise<Plan | null>>();
  const planOf: PlanOf = (sub) => {
    const key = `${sub.plan_id}:${sub.plan_version}`;
    if (!plans.has(key))
      plans.set(
        key,
        withOperator(deps.pg, (tx) => plansRepository.findById(tx, sub.plan_id, sub.plan_version)).then((r) => r?.plan ?? null),
      );
    return plans.get(key)!;
  };
  const queries: (UsageQuery & { subscriptionId: string })[] = [];
  const subPlans = await mapBounded(candidates, TENANTS_AT_ONCE, (sub) => planOf(sub).catch(() => null));
  for (const [i, sub] of candidates.entries()) {
    const plan = subPlans[i];
    if (!plan || plan.currency !== sub.currency) continue;
    const { from, to } = periodSoFarWindow({ periodStart: sub.period_start, periodEnd: sub.period_end, at });
    if (!(to > from)) continue;
    for (const meter of new Set(plan.charges.map((c) => c.meter)))
      queries.push({ subscriptionId: sub.subscription_id, tenantId: sub.tenant_id, meter, from, to, ...groupByOf(plan, meter) });
  }
  const settled = await readUsageBatch(usage, queries, heartbeat);
  const ahead: ReadAhead = new Map(queries.map((q, i) => [aheadKey(q.subscriptionId, q.meter, q.from, q.to), settled[i]!]));

  // The levels raised so far, for every tenant at once (a check at the same time by another run
  // may raise one after this read: the alert's dedup key keeps that to one alert).
  const levels = await withOperator(deps.pg, (tx) =>
    alertsRepository.budgetLevelsRaisedMany(tx, [...byTenant.keys()], new Date(Math.min(...candidates.map((c) => c.period_end.getTime())))),
  );
  const levelsByTenant = new Map<string, (typeof levels)[number][]>();
  for (const l of levels) levelsByTenant.set(l.tenant_id, [...(levelsByTenant.get(l.tenant_id) ?? []), l]);
  const levelsRaised: LevelsRaised = (tenantId, start, end) =>
    (levelsByTenant.get(tenantId) ?? [])
      .filter((l) => l.window_start.getTime() === start.getTime() && l.window_end.getTime() === end.getTime())
      .map((l) => l.level);

  const tenants = [...byTenant];
  const alerts = await mapBounded(tenants, TENANTS_AT_ONCE, async ([tenantId, subs]) => {
    const estimate = () => estimateCharges(planOf, usage, ahead, failures.run, tenantId, subs, at);
    const alert = await failures.run({ tenantId }, () => checkTenant(deps, estimate, levelsRaised, rules, tenantId, subs, at));
    heartbeat();
    return alert;
  });
  return { tenants: byTenant.size, raised: alerts.filter((a): a is RaisedAlert => !!a), ...failures.summary };
}

/**
 * Budget thresholds: for each tenant with a budget, the estimated charges of its current
 * period so far (the period's usage up to now, rated by the plan with quotePlan: base fee +
 * usage charges + tax, exactly as the invoice will be; domain/billing's estimatePeriodSoFar, which
 * the estimate route shares) compared with the budget. The highest
 * level reached (default 50/80/100 %) is raised once per period (alerts' dedup key). Each
 * tenant, and each meter's usage read, is isolated: one that fails is logged and reported in
 * `failed`/`failures`, and the other tenants are checked.
 *
 * `checkBudgets` checks every tenant in one activity (the scan's first path, kept for runs
 * already under way). `budgetPageRanges` + `checkBudgetPage` are the fan-out: the workflow checks
 * the pages a few at a time, each page its own activity with heartbeats (`budgetPages`, the same
 * pages as lists of tenant ids, stays for runs started before the ranges).
 */
export function createBudgetActivities(deps: ActivityDeps) {
  /** The usage source, or undefined (logged) when the worker wired none. */
  const usageSource = () => {
    // The worker wires the metering usage source (ActivityDeps.usage); without it budgets cannot be estimated.
    if (!deps.usage) log.warn('budget checks skipped: no usage source is configured (ActivityDeps.usage)');
    return deps.usage;
  };
  async function check(at: Date, scope?: readonly string[] | BudgetPageRange): Promise<CheckBudgetsResult> {
    const { candidates, rules } = await withOperator(deps.pg, async (tx) => ({
      candidates: await budgetCandidatesRepository.candidates(tx, at, scope),
      rules: (await alertsRepository.listRules(tx)).map(toAlertRule),
    }));
    const failures = isolateFailures('budget_check');
    if (candidates.length === 0) return { tenants: 0, raised: [], ...failures.summary };
    const usage = usageSource();
    if (!usage) return { tenants: 0, raised: [], ...failures.summary };
    const result = await checkTenants(deps, usage, failures, rules, candidates, at);
    failures.report();
    return result;
  }

  return {
    async checkBudgets(input: CheckBudgetsInput): Promise<CheckBudgetsResult> {
      return check(new Date(input.at));
    },

    /**
     * The tenants with a budget and a current period at `at`, in pages of BUDGET_TENANTS_PER_PAGE.
     * Tenants are ordered by the start of their period, so the windows of one page lie close
     * together and its batched reads span little more than the windows themselves.
     */
    async budgetPages(input: CheckBudgetsInput): Promise<BudgetPages> {
      const candidates = await withOperator(deps.pg, (tx) => budgetCandidatesRepository.candidates(tx, new Date(input.at)));
      if (candidates.length === 0 || !usageSource()) return { pages: [] };
      const firstStart = new Map<string, number>();
      for (const c of candidates) firstStart.set(c.tenant_id, Math.min(firstStart.get(c.tenant_id) ?? Infinity, c.period_start.getTime()));
      const tenantIds = [...firstStart].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
      const size = deps.budgetTenantsPerPage ?? BUDGET_TENANTS_PER_PAGE;
      const pages: string[][] = [];
      for (let i = 0; i < tenantIds.length; i += size) pages.push(tenantIds.slice(i, i + size));
      return { pages };
    },

    /**
     * The pages of the check at `at`, as ranges of the same order (see budgetPages), so that the
     * workflow carries a key per page instead of every tenant's id. The check's page reads its
     * tenants from its range; a tenant whose place moved in between (its period rolled over, its
     * budget changed) may be checked by two pages, which raise its level once, or by none, until
     * the next scan.
     */
    async budgetPageRanges(input: CheckBudgetsInput): Promise<BudgetPageRanges> {
      if (!usageSource()) return { ranges: [] };
      const size = deps.budgetTenantsPerPage ?? BUDGET_TENANTS_PER_PAGE;
      const starts = await withOperator(deps.pg, (tx) => budgetCandidatesRepository.pageStarts(tx, new Date(input.at), size));
      return { ranges: pageRanges(starts) };
    },

    /** One page of tenants, checked as checkBudgets checks each (a tenant no longer a candidate is skipped). */
    async checkBudgetPage(input: CheckBudgetPageInput): Promise<CheckBudgetsResult> {
      if ('tenantIds' in input && input.tenantIds.length === 0) return { tenants: 0, raised: [], failed: 0, failures: [] };
      const result = await check(new Date(input.at), 'range' in input ? input.range : input.tenantIds);
      return input.sendWebhooks ? sendRaisedAlerts(deps, result) : result;
    },
  };
}
