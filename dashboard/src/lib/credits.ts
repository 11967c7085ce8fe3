import type { operations } from './api/schema.d.ts';
import { formText } from './form-text.ts';
import type { Schemas } from './types.ts';
import { subtractDecimals } from './decimal.ts';

type Credits = Schemas['TenantOverview']['credits'];
type Balance = NonNullable<Credits['balance']>;

/** One chart line per series; null where a series has no value (the chart spans the gap). */
export type BurnDown = { labels: string[]; series: { label: string; data: (number | null)[] }[] };

const label = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

/**
 * The burn-down of the period: the ledger balance at its start, after each of its entries, and
 * now; and what is available, which is that balance less the usage not yet invoiced. The
 * pending usage is known only now (the API prices it as of now) and is nothing at the period's
 * start (the previous period was invoiced then), so "available" has those two points and the
 * chart draws the line between them. Figures stay decimal strings until the chart, which needs
 * numbers to draw and shows nothing that is summed.
 */
export function burnDown(period: Credits['period'], balance: Balance | null, now: string): BurnDown {
  const points = [{ at: period.from, ledger: period.opening }, ...period.entries.map((e) => ({ at: e.at, ledger: e.balanceAfter }))];
  if (balance) points.push({ at: now, ledger: balance.remaining });
  const last = points.length - 1;
  return {
    labels: points.map((p) => label(p.at)),
    series: [
      { label: 'Ledger balance', data: points.map((p) => Number(p.ledger)) },
      ...(balance
        ? [
            {
              label: 'Available (after usage not yet invoiced)',
              data: points.map((p, i) =>
                i === 0 ? Number(p.ledger) : i === last ? Number(subtractDecimals(balance.remaining, balance.pendingUsage)) : null,
              ),
            },
          ]
        : []),
    ],
  };
}

/** A `datetime-local` value (no zone; the form says UTC) as ISO 8601 with its offset; anything else as typed, for the API to judge. */
export function utcDateTime(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return `${value}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) return `${value}Z`;
  return value;
}

/** The body of POST /api/tenants/:id/credit-grants, from the generated types. */
export type GrantRequest = NonNullable<operations['createCreditGrant']['requestBody']>['content']['application/json'];

/**
 * The grant form as the API's request body, and the values to put back into the form on a
 * refusal. Empty optional fields are left out (the API's defaults apply). Nothing is judged
 * here: a priority that is not a whole number is sent as typed, and the API names the field.
 */
export function grantRequest(form: FormData): { body: GrantRequest; values: Record<string, string> } {
  const text = (name: string) => formText(form, name);
  const values = {
    amount: text('amount'),
    currency: text('currency'),
    priority: text('priority'),
    effectiveAt: text('effectiveAt'),
    expiresAt: text('expiresAt'),
    reason: text('reason'),
  };
  const appliesTo = form.getAll('appliesTo').map(String).filter(Boolean);
  const body: GrantRequest = { amount: values.amount, currency: values.currency, reason: values.reason };
  if (values.priority) body.priority = (/^-?\d+$/.test(values.priority) ? Number(values.priority) : values.priority) as number;
  if (values.effectiveAt) body.effectiveAt = utcDateTime(values.effectiveAt);
  if (values.expiresAt) body.expiresAt = utcDateTime(values.expiresAt);
  if (appliesTo.length) body.appliesTo = appliesTo;
  return { body, values };
}
