import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios } from '../harness/billing.ts';
import {
  cancelUpdate,
  changePlanUpdate,
  invoiceNowUpdate,
  subscriptionStatusQuery,
  subscriptionWorkflowId,
} from '../../workflows/contract.ts';
import { planTermsOf } from '../../api/subscriptions/subscriptions-service.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';

// Trials, plan changes (immediate with proration, and at period end), invoice-now and an
// immediate cancellation, on the time-skipping test server.

const s = useBillingScenarios((h) => h.defineMeter({ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }));

const d = (iso: string) => new Date(iso);
const calls = (prefix: string, n: number, at: string | Date) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 'call', time: at }));
const lines = (invoice: { lines: readonly { type: string; meter: string | null; amount_minor: bigint }[] }) =>
  invoice.lines.map((l) => [l.type, l.meter, cents(l.amount_minor)]);

describe('a trial, then plan changes with proration', () => {
  it('bills nothing for the trial, prorates an immediate change by elapsed time, and switches plans at a period end', async () => {
    const tenant = await s.h.createTenant({ name: 'Changer' });
    const starter = await s.h.createPlan({
      code: 'starter',
      name: 'Starter',
      currency: 'USD',
      interval: 'month',
      baseFee: '30',
      trialDays: 14,
      charges: [
        { meter: 'calls', model: 'per_unit', unitPrice: '0.1' },
        { meter: 'support', model: 'flat', amount: '15' },
      ],
    });
    const pro = await s.h.createPlan({
      code: 'pro',
      name: 'Pro',
      currency: 'USD',
      interval: 'month',
      baseFee: '60',
      charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.05', minimum: '9' }],
    });
    const proTerms = planTermsOf((await withOperator(s.h.db.pool, (tx) => plansRepository.findById(tx, pro.id)))!);
    const starterTerms = planTermsOf((await withOperator(s.h.db.pool, (tx) => plansRepository.findById(tx, starter.id)))!);

    // Trial [Apr 1, Apr 15); paid periods are anchored at the trial's end: [Apr 15, May 15) (30 days), [May 15, Jun 15), …
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: starter.id, startAt: d('2027-04-01T00:00:00Z') });
    expect(sub).toMatchObject({
      status: 'trialing',
      trialEnd: '2027-04-15T00:00:00.000Z',
      currentPeriod: { start: '2027-04-01T00:00:00.000Z', end: '2027-04-15T00:00:00.000Z' },
    });
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    await s.h.sendEvents(tenant.id, [...calls('trial', 40, '2027-04-05T00:00:00Z'), ...calls('old', 100, '2027-04-20T00:00:00Z')]);

    await s.sleepUntil('2027-04-10T00:00:00Z');
    expect(await handle.query(subscriptionStatusQuery)).toMatchObject({ state: 'trialing', nextInvoiceAt: '2027-05-15T01:00:00.000Z' });

    // Ten days into the first paid period (of 30), change to Pro at once.
    await s.sleepUntil('2027-04-25T00:00:00Z');
    const changed = await handle.executeUpdate(changePlanUpdate, { args: [{ plan: proTerms, effective: 'immediate' }] });
    expect(changed.state).toBe('active');
    expect(changed.parts.map((p) => p.code)).toEqual(['starter', 'pro']);
    const changeAt = changed.parts[1]!.from;
    // An event at exactly the change instant belongs to the new part.
    await s.h.sendEvents(tenant.id, [...calls('at-change', 1, changeAt), ...calls('new', 49, '2027-05-01T00:00:00Z')]);

    // Invalid changes are refused by the update's validator, before anything is recorded.
    await expect(handle.executeUpdate(changePlanUpdate, { args: [{ plan: proTerms, effective: 'immediate' }] })).rejects.toThrow();
    await expect(
      handle.executeUpdate(changePlanUpdate, { args: [{ plan: { ...proTerms, currency: 'EUR' }, effective: 'period_end' }] }),
    ).rejects.toThrow();

    // During the second period, schedule Starter for its end.
    await s.sleepUntil('2027-05-20T00:00:00Z');
    const scheduled = await handle.executeUpdate(changePlanUpdate, { args: [{ plan: starterTerms, effective: 'period_end' }] });
    expect(scheduled.pendingChange).toEqual({
      type: 'change_plan',
      effective: 'period_end',
      planId: starter.id,
      version: 1,
      code: 'starter',
      at: '2027-06-15T00:00:00.000Z',
    });
    await s.h.sendEvents(tenant.id, calls('p2', 200, '2027-05-25T00:00:00Z'));

    // In the third period (Starter again), cancel at its end.
    await s.sleepUntil('2027-06-20T00:00:00Z');
    expect(await handle.query(subscriptionStatusQuery)).toMatchObject({
      plan: { code: 'starter' },
      currentPeriod: { start: '2027-06-15T00:00:00.000Z', end: '2027-07-15T00:00:00.000Z' },
    });
    await handle.executeUpdate(cancelUpdate, { args: [{ at: 'period_end' }] });
    await handle.result();

    const invoices = await s.h.invoicesOf(sub.id);
    expect(invoices.map((i) => [i.period_start.toISOString(), i.period_end.toISOString()])).toEqual([
      ['2027-04-15T00:00:00.000Z', '2027-05-15T00:00:00.000Z'],
      ['2027-05-15T00:00:00.000Z', '2027-06-15T00:00:00.000Z'],
      ['2027-06-15T00:00:00.000Z', '2027-07-15T00:00:00.000Z'],
    ]);
    // Period 1, 30 days: 10 under Starter, 20 under Pro (the change instant is a few ms after
    // midnight in workflow time; each prorated line is rounded once, so the ms do not show).
    expect(lines(invoices[0]!)).toEqual([
      ['proration', null, '10.00'], // Starter base 30 × 10/30
      ['usage', 'calls', '10.00'], // 100 calls × 0.1 (the 40 trial calls are not billed)
      ['proration', 'support', '5.00'], // flat 15 × 10/30
      ['proration', null, '40.00'], // Pro base 60 × 20/30
      ['usage', 'calls', '6.00'], // 50 calls × 0.05 = 2.50, below the minimum 9 × 20/30 = 6
    ]);
    expect(invoices[0]!.lines[1]).toMatchObject({ quantity: '100.000000000000', event_count: 100n, usage_to: d(changeAt) });
    expect(invoices[0]!.lines[4]).toMatchObject({ quantity: '50.000000000000', event_count: 50n, usage_from: d(changeAt) });
    expect(cents(invoices[0]!.total_minor)).toBe('71.00');
    // Period 2, all Pro: 60 + 200 × 0.05 = 10 (above the minimum) = 70.
    expect(lines(invoices[1]!)).toEqual([
      ['base_fee', null, '60.00'],
      ['usage', 'calls', '10.00'],
    ]);
    // Period 3, Starter from the boundary: 30 + 0 calls + support 15 = 45.
    expect(lines(invoices[2]!)).toEqual([
      ['base_fee', null, '30.00'],
      ['usage', 'calls', '0.00'],
      ['usage', 'support', '15.00'],
    ]);
    expect(invoices.map((i) => cents(i.total_minor))).toEqual(['71.00', '70.00', '45.00']);
  });
});

describe('invoice now and an immediate cancellation', () => {
  it('bills the period so far with a prorated base fee, keeps the period, and bills the rest of it on cancel', async () => {
    const tenant = await s.h.createTenant({ name: 'Now', taxRate: '0.2' });
    const plan = await s.h.createPlan({
      code: 'weekly',
      name: 'Weekly',
      currency: 'USD',
      interval: 'week',
      baseFee: '70',
      charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '1' }],
    });
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: d('2027-08-02T00:00:00Z') });
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    await s.h.sendEvents(tenant.id, [...calls('w1', 3, '2027-08-03T00:00:00Z'), ...calls('w1-late', 5, '2027-08-06T00:00:00Z')]);

    // Three and a half days into the week: invoice now. No timer is involved, so the update's
    // result arrives without time skipping.
    await s.sleepUntil('2027-08-05T12:00:00Z');
    const result = await handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId: '11111111-1111-4111-8111-111111111111' }] });
    expect(result).toMatchObject({
      invoiceId: '11111111-1111-4111-8111-111111111111',
      status: 'finalized',
      number: expect.stringMatching(/^INV-2027-\d{6}$/),
    });
    // The same request again gets the same answer, not a second invoice.
    expect(await handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId: '11111111-1111-4111-8111-111111111111' }] })).toEqual(result);
    // The week keeps its start and end; what is not yet invoiced starts at the invoice-now instant.
    const status = await handle.query(subscriptionStatusQuery);
    expect(status.currentPeriod).toEqual({ start: '2027-08-02T00:00:00.000Z', end: '2027-08-09T00:00:00.000Z' });
    expect(status.parts.map((p) => p.from)).toEqual([status.lastInvoice!.periodEnd]);

    // Two days later, cancel immediately: a prorated final invoice, and the workflow completes.
    await s.sleepUntil('2027-08-07T12:00:00Z');
    const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ at: 'immediate' }] });
    expect(canceled.state).toBe('canceled');
    await handle.result();
    await expect(handle.executeUpdate(cancelUpdate, { args: [{ at: 'immediate' }] })).rejects.toThrow();

    const [first, final] = await s.h.invoicesOf(sub.id);
    // [Aug 2, Aug 5 12:00 + δ): base 70 × 3.5/7 = 35.00; 3 calls (the Aug 6 ones are later) = 3.00
    expect(first!.reason).toBe('invoice_now');
    expect(lines(first!)).toEqual([
      ['proration', null, '35.00'],
      ['usage', 'calls', '3.00'],
    ]);
    expect([cents(first!.subtotal_minor), cents(first!.tax_minor), cents(first!.total_minor)]).toEqual(['38.00', '7.60', '45.60']);
    // The cancel bills the rest of the week so far, [t, Aug 7 12:00), rated cumulatively with the
    // invoice-now: base 70 × 5.5/7 = 55.00 less 35.00 = 20.00; 8 calls = 8.00 less 3.00 = 5.00; tax 20 % = 5.00.
    expect(final!.reason).toBe('cancel');
    expect(final!.period_start).toEqual(first!.period_end);
    expect(lines(final!)).toEqual([
      ['proration', null, '20.00'],
      ['usage', 'calls', '5.00'],
    ]);
    expect(cents(final!.total_minor)).toBe('30.00');
  });
});
