import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createBillingHarness, cents, type BillingHarness } from '../harness/billing.ts';
import { cancelUpdate, subscriptionStatusQuery, subscriptionWorkflowId } from '../../workflows/contract.ts';

// Twelve monthly periods on the real time-skipping test server: a year of billing in seconds.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
beforeAll(async () => {
  env = await timeSkippingEnvironment();
  h = await createBillingHarness();
  await h.attach(env);
  await h.defineMeter({ code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens' });
});
afterAll(async () => {
  await h?.dispose();
  await env?.teardown();
});

const d = (iso: string) => new Date(iso);

describe('a monthly subscription anchored on the 31st', () => {
  it('issues exactly 12 invoices with the right periods and totals, then ends at the period end it was canceled for', async () => {
    const tenant = await h.createTenant({ name: 'Anchor 31', taxRate: '0.1' });
    const plan = await h.createPlan({
      code: 'tokens-monthly',
      name: 'Tokens monthly',
      currency: 'USD',
      interval: 'month',
      baseFee: '20',
      charges: [
        {
          meter: 'tokens',
          model: 'graduated',
          tiers: [
            { upTo: '1000', unitPrice: '0.01' },
            { upTo: null, unitPrice: '0.005' },
          ],
        },
      ],
    });
    // Periods keep the anchor day and clamp to the month's end (domain/periods).
    const bounds = [
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
      '2027-04-30',
      '2027-05-31',
      '2027-06-30',
      '2027-07-31',
      '2027-08-31',
      '2027-09-30',
      '2027-10-31',
      '2027-11-30',
      '2027-12-31',
      '2028-01-31',
    ].map((day) => d(`${day}T00:00:00.000Z`));
    // Period i (1..12) gets 150 × i tokens: 50 × i at its first instant and 100 × i at its last
    // millisecond. Events just outside the subscription are never billed.
    const events = bounds.slice(0, 12).flatMap((start, k) => [
      { id: `p${k + 1}-first`, type: 'llm', time: start, data: { tokens: 50 * (k + 1) } },
      { id: `p${k + 1}-last`, type: 'llm', time: new Date(bounds[k + 1]!.getTime() - 1), data: { tokens: 100 * (k + 1) } },
    ]);
    events.push({ id: 'before-start', type: 'llm', time: d('2027-01-30T23:59:59.999Z'), data: { tokens: 1_000_000 } });
    events.push({ id: 'after-end', type: 'llm', time: bounds[12]!, data: { tokens: 1_000_000 } });
    await h.sendEvents(tenant.id, events);

    const sub = await h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: bounds[0] });
    expect(sub).toMatchObject({
      status: 'active',
      currentPeriod: { start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' },
      workflowId: `subscription-${sub.id}`,
    });

    // Skip to the middle of the 12th period, then cancel at its end.
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    await env.sleep(d('2028-01-15T00:00:00Z').getTime() - (await env.currentTimeMs()));
    const midway = await handle.query(subscriptionStatusQuery);
    expect(midway).toMatchObject({
      state: 'active',
      currentPeriod: { start: '2027-12-31T00:00:00.000Z', end: '2028-01-31T00:00:00.000Z' },
    });
    const canceling = await handle.executeUpdate(cancelUpdate, { args: [{ at: 'period_end' }] });
    expect(canceling.pendingChange).toEqual({ type: 'cancel', at: '2028-01-31T00:00:00.000Z' });
    const final = await handle.result();
    expect(final).toMatchObject({ state: 'canceled', canceledAt: '2028-01-31T00:00:00.000Z', currentPeriod: null });

    const invoices = await h.invoicesOf(sub.id);
    expect(invoices).toHaveLength(12);
    // Hand-computed: tokens q = 150 i; graduated: q ≤ 1000 → 0.01 q, else 10 + 0.005 (q − 1000).
    // subtotal = 20 + usage; tax = round(10 %); total = subtotal + tax.
    const expected = [
      ['1.50', '21.50', '2.15', '23.65'],
      ['3.00', '23.00', '2.30', '25.30'],
      ['4.50', '24.50', '2.45', '26.95'],
      ['6.00', '26.00', '2.60', '28.60'],
      ['7.50', '27.50', '2.75', '30.25'],
      ['9.00', '29.00', '2.90', '31.90'],
      ['10.25', '30.25', '3.03', '33.28'], // 1050: 10 + 0.25; tax 3.025 → 3.03 (half-up)
      ['11.00', '31.00', '3.10', '34.10'],
      ['11.75', '31.75', '3.18', '34.93'], // tax 3.175 → 3.18
      ['12.50', '32.50', '3.25', '35.75'],
      ['13.25', '33.25', '3.33', '36.58'], // tax 3.325 → 3.33
      ['14.00', '34.00', '3.40', '37.40'],
    ];
    invoices.forEach((invoice, k) => {
      const [usage, subtotal, tax, total] = expected[k]!;
      expect(invoice.period_start).toEqual(bounds[k]);
      expect(invoice.period_end).toEqual(bounds[k + 1]);
      expect(invoice.status).toBe('paid'); // the built-in gateway accepts the first attempt
      expect(invoice.lines.map((l) => [l.type, l.meter, l.quantity === null ? null : Number(l.quantity), cents(l.amount_minor)])).toEqual([
        ['base_fee', null, null, '20.00'],
        ['usage', 'tokens', 150 * (k + 1), usage],
      ]);
      expect(invoice.lines[1]).toMatchObject({ usage_from: bounds[k], usage_to: bounds[k + 1], event_count: 2n });
      expect([cents(invoice.subtotal_minor), cents(invoice.tax_minor), cents(invoice.total_minor)]).toEqual([subtotal, tax, total]);
      // Issued once the grace period (3600 s) after the period's end has passed (workflow time; the
      // test server adds the real time activities take, so allow a minute).
      const issuedAfterEnd = invoice.issued_at!.getTime() - bounds[k + 1]!.getTime();
      expect(issuedAfterEnd).toBeGreaterThanOrEqual(3600_000);
      expect(issuedAfterEnd).toBeLessThan(3660_000);
    });
    // Gapless numbers per year of issue: eleven in 2027, then the first of 2028.
    expect(invoices.map((i) => i.number)).toEqual([
      ...Array.from({ length: 11 }, (_, k) => `INV-2027-${String(k + 1).padStart(6, '0')}`),
      'INV-2028-000001',
    ]);
    const row = await h.ownerQuery<{ status: string; canceled_at: Date }>('SELECT status, canceled_at FROM subscriptions WHERE id = $1', [
      sub.id,
    ]);
    expect(row).toEqual([{ status: 'canceled', canceled_at: bounds[12] }]);
  });
});
