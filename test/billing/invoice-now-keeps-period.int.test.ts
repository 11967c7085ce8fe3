import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios, type InvoiceWithLines } from '../harness/billing.ts';
import { CALLS_METER, ISSUE_GRADUATED_CALLS, monthlyPlan, subscribedFrom } from '../harness/billing-plans.ts';
import { invoiceNowUpdate, subscriptionStatusQuery, subscriptionWorkflowId } from '../../workflows/contract.ts';
import { eventually } from '../harness/until.ts';

// An invoice-now bills the period so far and the period goes on: the period's own close bills the
// rest, rated cumulatively (usage and base fee), so the parts add up to the unsplit period to the cent.

const s = useBillingScenarios((h) => h.defineMeter(CALLS_METER));

const calls = (prefix: string, n: number, at: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 'call', time: new Date(Date.parse(at) + i * 1000) }));

const issued = (n: number) => (i: InvoiceWithLines[]) => i.length === n && i.every((x) => x.status !== 'draft');
const windows = (invoices: InvoiceWithLines[]) => invoices.map((i) => [i.reason, i.period_start.toISOString(), i.period_end.toISOString()]);
let ids = 0;
const invoiceNow = (subscriptionId: string) =>
  s.env.client.workflow
    .getHandle(subscriptionWorkflowId(subscriptionId))
    .executeUpdate(invoiceNowUpdate, { args: [{ invoiceId: `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}` }] });

describe('invoice-now keeps the period', () => {
  it('1,500 calls in April: an invoice-now mid-month then the period end bill 100.00 + 505.00 = 605.00, as unsplit', async () => {
    // The issue's plan: the first 1,000 calls come with a 100.00 tier fee, each further call costs 1.01.
    const { tenant, sub } = await subscribedFrom(
      s.h,
      'Mid-month',
      monthlyPlan({
        code: 'graduated-now',
        name: 'Graduated',
        gracePeriodSeconds: 0,
        charges: [ISSUE_GRADUATED_CALLS],
      }),
      new Date('2027-04-01T00:00:00Z'),
    );
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    await s.h.sendEvents(tenant.id, [...calls('a', 750, '2027-04-03T00:00:00Z'), ...calls('b', 750, '2027-04-20T00:00:00Z')]);

    await s.sleepUntil('2027-04-16T00:00:00Z');
    expect(await invoiceNow(sub.id)).toMatchObject({ status: 'finalized' });
    const status = await handle.query(subscriptionStatusQuery);
    expect(status.currentPeriod).toEqual({ start: '2027-04-01T00:00:00.000Z', end: '2027-05-01T00:00:00.000Z' });
    expect(status.nextInvoiceAt).toBe('2027-05-01T00:00:00.000Z');
    const now = status.lastInvoice!.periodEnd;
    expect(Date.parse(now)).toBeGreaterThanOrEqual(Date.parse('2027-04-16T00:00:00Z'));
    expect(Date.parse(now)).toBeLessThan(Date.parse('2027-04-20T00:00:00Z'));

    await s.sleepUntil('2027-05-01T00:00:05Z');
    const invoices = await eventually(() => s.h.invoicesOf(sub.id), issued(2));
    expect(windows(invoices)).toEqual([
      ['invoice_now', '2027-04-01T00:00:00.000Z', now],
      ['period_end', now, '2027-05-01T00:00:00.000Z'],
    ]);
    // 750 calls so far: the first tier's fee. At the end, 1,500 calls: 100 + 500 × 1.01 = 605.00, less the 100.00 billed.
    expect(invoices.map((i) => cents(i.total_minor))).toEqual(['100.00', '505.00']);
    // The schedule was not re-anchored: May is a whole month.
    expect((await handle.query(subscriptionStatusQuery)).currentPeriod).toEqual({
      start: '2027-05-01T00:00:00.000Z',
      end: '2027-06-01T00:00:00.000Z',
    });
  });

  it('the base fee over three parts sums to the whole fee: 33.33 + 33.34 + 33.33 = 100.00, with charges or without', async () => {
    const { tenant, sub } = await subscribedFrom(
      s.h,
      'Thirds',
      monthlyPlan({
        code: 'fee-thirds',
        name: 'Fee',
        baseFee: '100',
        gracePeriodSeconds: 0,
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.5' }],
      }),
      new Date('2027-04-01T00:00:00Z'),
    );
    // A plan of a base fee alone: no charge line to find the run by, its base-fee lines carry it.
    const { sub: feeSub } = await subscribedFrom(
      s.h,
      'Thirds, fee only',
      monthlyPlan({
        code: 'fee-only-thirds',
        name: 'Fee only',
        baseFee: '100',
        gracePeriodSeconds: 0,
        charges: [],
      }),
      new Date('2027-04-01T00:00:00Z'),
    );
    await s.h.sendEvents(tenant.id, [...calls('x', 3, '2027-04-05T00:00:00Z'), ...calls('y', 2, '2027-04-25T00:00:00Z')]);

    // Days 10 and 20 of a 30-day month (a few ms later, as the test server's clock runs on).
    await s.sleepUntil('2027-04-11T00:00:00Z');
    await Promise.all([invoiceNow(sub.id), invoiceNow(feeSub.id)]);
    await s.sleepUntil('2027-04-21T00:00:00Z');
    await Promise.all([invoiceNow(sub.id), invoiceNow(feeSub.id)]);
    await s.sleepUntil('2027-05-01T00:00:05Z');
    const invoices = await eventually(() => s.h.invoicesOf(sub.id), issued(3));
    expect(invoices.map((i) => i.reason)).toEqual(['invoice_now', 'invoice_now', 'period_end']);
    expect(invoices.map((i) => i.lines.map((l) => [l.type, cents(l.amount_minor)]))).toEqual([
      [
        ['proration', '33.33'],
        ['usage', '1.50'],
      ],
      [
        ['proration', '33.34'],
        ['usage', '0.00'],
      ],
      [
        ['proration', '33.33'],
        ['usage', '1.00'],
      ],
    ]);
    // The unsplit month: 100.00 + 5 × 0.5.
    expect(invoices.reduce((sum, i) => sum + i.total_minor!, 0n)).toBe(10_250n);
    const feeInvoices = await eventually(() => s.h.invoicesOf(feeSub.id), issued(3));
    expect(feeInvoices.map((i) => i.lines.map((l) => [l.type, cents(l.amount_minor)]))).toEqual([
      [['proration', '33.33']],
      [['proration', '33.34']],
      [['proration', '33.33']],
    ]);
  });
});
