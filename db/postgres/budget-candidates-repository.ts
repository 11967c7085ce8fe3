import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { ts } from './sql.ts';

// Who the budget check looks at, and how its pages are cut. Operator scope.

/** A tenant with a budget and a subscription whose current (paid) period contains `at`. */
export const budgetCandidateRow = z.object({
  tenant_id: z.string(),
  budget: z.string(),
  tax_rate: z.string(),
  currency: z.string(),
  subscription_id: z.string(),
  plan_id: z.string(),
  plan_version: z.number(),
  period_start: z.date(),
  period_end: z.date(),
});
export type BudgetCandidateRow = z.infer<typeof budgetCandidateRow>;

/**
 * Where a page of the budget check starts: a tenant's place in the order pages are cut in (the
 * start of its earliest current period, then its id), so that one page's windows lie close
 * together. `periodStart` is PostgreSQL's own instant as ISO text, to the microsecond, so a key
 * compares exactly as it was read.
 */
export type BudgetPageKey = { periodStart: string; tenantId: string };
/**
 * The tenants of one page: from its key (included; null for the first page) to the next page's
 * (excluded; null for the last). Consecutive ranges share their bound, so whatever the keys, every
 * tenant falls in exactly one of them.
 */
export type BudgetPageRange = { from: BudgetPageKey | null; to: BudgetPageKey | null };
/** A page as the workflow carries it: its range, and its size and first tenant as read when it was cut (to report a page that failed). */
export type BudgetPage = BudgetPageRange & { tenants: number; firstTenantId: string };

const candidateSubscription = (at: Date) => sql.fragment`
  t.budget > 0 AND s.status IN ('active', 'past_due')
  AND s.current_period_start <= ${ts(at)} AND s.current_period_end > ${ts(at)}`;

/** Each candidate tenant once, with its page key (`first_start`, `tenant_id`). */
const keyedCandidates = (at: Date) => sql.fragment`
  SELECT t.id AS tenant_id, min(s.current_period_start) AS first_start
  FROM tenants t JOIN subscriptions s ON s.tenant_id = t.id
  WHERE ${candidateSubscription(at)}
  GROUP BY t.id`;

/** A page key as the row it is compared with, `(first_start, tenant_id)`. */
const keyRow = (key: BudgetPageKey) => sql.fragment`(${key.periodStart}::timestamptz, ${key.tenantId}::uuid)`;
const keyAtOrAfter = (key: BudgetPageKey | null) => (key ? sql.fragment`(first_start, tenant_id) >= ${keyRow(key)}` : sql.fragment`true`);
const keyBefore = (key: BudgetPageKey | null) => (key ? sql.fragment`(first_start, tenant_id) < ${keyRow(key)}` : sql.fragment`true`);

/** The tenants a check takes: all, the named ones (a page of a run started before ranges), or a range. */
function tenantsWhere(at: Date, scope: readonly string[] | BudgetPageRange | undefined) {
  if (!scope) return sql.fragment`true`;
  if (isRange(scope)) {
    const { from, to } = scope;
    return sql.fragment`t.id IN (
      SELECT tenant_id FROM (${keyedCandidates(at)}) k
      WHERE ${keyAtOrAfter(from)} AND ${keyBefore(to)})`;
  }
  return sql.fragment`t.id = ANY(${sql.array([...scope], 'uuid')})`;
}

const isRange = (scope: readonly string[] | BudgetPageRange): scope is BudgetPageRange => !Array.isArray(scope);

const pageStartRow = z.object({ period_start: z.string(), tenant_id: z.string(), tenants: z.number() });
export type BudgetPageStart = z.infer<typeof pageStartRow>;

/** The pages that `pageStarts` found, as ranges: each from its first key to the next page's. */
export function pageRanges(starts: readonly BudgetPageStart[]): BudgetPage[] {
  const keyOf = (start: BudgetPageStart): BudgetPageKey => ({ periodStart: start.period_start, tenantId: start.tenant_id });
  return starts.map((start, i) => {
    const next = starts[i + 1];
    return { from: i === 0 ? null : keyOf(start), to: next ? keyOf(next) : null, tenants: start.tenants, firstTenantId: start.tenant_id };
  });
}

export const budgetCandidatesRepository = {
  /**
   * Each tenant with a budget above zero, with each of its active or past-due subscriptions whose
   * current period contains `at` (trials are not charged); with a scope, only those tenants.
   */
  candidates: (tx: Tx, at: Date, scope?: readonly string[] | BudgetPageRange) =>
    tx.any(sql.type(budgetCandidateRow)`
      SELECT t.id AS tenant_id, t.budget::text AS budget, t.tax_rate::text AS tax_rate, t.currency, s.id AS subscription_id,
             s.plan_id, s.plan_version, s.current_period_start AS period_start, s.current_period_end AS period_end
      FROM tenants t JOIN subscriptions s ON s.tenant_id = t.id
      WHERE ${candidateSubscription(at)} AND ${tenantsWhere(at, scope)}
      ORDER BY t.id, s.created_at, s.id`),

  /**
   * The pages of the check at `at`, `size` tenants each in key order: each page's first key and
   * its number of tenants. One row a page, so what the workflow carries does not grow with the
   * tenants of a page (the tenant ids of every page made 76 KB at 2,000 tenants, and a payload
   * may hold 2 MB).
   */
  pageStarts: (tx: Tx, at: Date, size: number) =>
    tx.any(sql.type(pageStartRow)`
      SELECT DISTINCT ON (page) to_char(first_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS period_start, tenant_id,
             (count(*) OVER (PARTITION BY page))::int AS tenants
      FROM (
        SELECT tenant_id, first_start, (row_number() OVER (ORDER BY first_start, tenant_id) - 1) / ${size} AS page
        FROM (${keyedCandidates(at)}) k
      ) numbered
      ORDER BY page, first_start, tenant_id`),
};
