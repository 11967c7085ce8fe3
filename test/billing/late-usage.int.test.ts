import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios } from '../harness/billing.ts';
import { CALLS_METER, monthlyPlan, subscribedFrom } from '../harness/billing-plans.ts';
import { until } from '../harness/until.ts';
import { subscriptionStatusQuery, subscriptionWorkflowId } from '../../workflows/contract.ts';

// Late usage is never lost, and never billed twice; back-dated subscriptions catch up in order.

const s = useBillingScenarios((h) => h.defineMeter(CALLS_METER));

const d = (iso: string) => new Date(iso);
const calls = (prefix: string, n: number, at: string, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${from + i}`, type: 'call', time: at }));
const lines = (invoice: {
  lines: readonly { type: string; meter: string | null; quantity: string | null; amount_minor: bigint; event_count: bigint | null }[];
}) => invoice.lines.map((l) => [l.type, l.meter, l.quantity === null ? null : Number(l.quantity), l.event_count, cents(l.amount_minor)]);

describe('late usage', () => {
  it('bills events that arrive after their period was invoiced as an exact adjustment on the next invoice; redeliveries add nothing', async () => {
    const { tenant, plan, sub } = await subscribedFrom(
      s.h,
      'Late',
      monthlyPlan({
        code: 'tiered',
        name: 'Tiered',
        charges: [
          {
            meter: 'calls',
            model: 'graduated',
            tiers: [
              { upTo: '100', unitPrice: '1' },
              { upTo: null, unitPrice: '0.5' },
            ],
          },
        ],
      }),
      d('2027-01-01T00:00:00Z'),
    );
    await s.h.sendEvents(tenant.id, calls('jan', 90, '2027-01-10T00:00:00Z'));

    // Invoice 1 (January) is final: 90 calls in tier 1 = 90.00.
    await s.sleepUntil('2027-02-02T00:00:00Z');
    const [january] = await s.h.invoicesOf(sub.id);
    expect([january!.status, cents(january!.total_minor)]).toEqual(['paid', '90.00']);

    // Then 30 more January events arrive, plus redeliveries of 5 counted ones (same ids, other data).
    await s.h.sendEvents(tenant.id, [
      ...calls('jan', 30, '2027-01-31T23:59:59.999Z', 1000),
      ...calls('jan', 5, '2027-01-20T00:00:00Z').map((e) => ({ ...e, data: { redelivered: true } })),
    ]);
    await s.h.sendEvents(tenant.id, calls('feb', 10, '2027-02-15T00:00:00Z'));

    // Invoice 2: February's 10 calls, and January re-rated with all 120 deduplicated events:
    // 100 × 1 + 20 × 0.5 = 110.00, minus the 90.00 billed = +20.00 (exact across the tier edge).
    await s.sleepUntil('2027-03-02T00:00:00Z');
    const [, february] = await s.h.invoicesOf(sub.id);
    expect(lines(february!)).toEqual([
      ['usage', 'calls', 10, 10n, '10.00'],
      ['adjustment', 'calls', 120, 120n, '20.00'],
    ]);
    expect(february!.lines[1]).toMatchObject({
      description: 'calls: usage for 2027-01-01 – 2027-02-01 received after invoicing',
      usage_from: d('2027-01-01T00:00:00Z'),
      usage_to: d('2027-02-01T00:00:00Z'),
      plan_id: plan.id,
      plan_version: 1,
    });
    expect(cents(february!.total_minor)).toBe('30.00');

    // Only redeliveries of counted January and February events arrive: nothing more is billed.
    await s.h.sendEvents(tenant.id, [...calls('jan', 3, '2027-01-05T00:00:00Z', 1000), ...calls('feb', 2, '2027-02-20T00:00:00Z')]);
    await s.sleepUntil('2027-04-02T00:00:00Z');
    const [, , march] = await s.h.invoicesOf(sub.id);
    expect(lines(march!)).toEqual([['usage', 'calls', 0, 0n, '0.00']]);
    // Nothing to collect: paid on issue, without dunning.
    expect([march!.status, cents(march!.total_minor)]).toEqual(['paid', '0.00']);
  });
});

describe('a back-dated subscription', () => {
  it('catches up: every period that has already ended is invoiced, one invoice per period, in order', async () => {
    // Three whole months before the server's current month (grace 0, so all three are due now).
    const now = new Date(await s.env.currentTimeMs());
    const month = (k: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1));
    const tenant = await s.h.createTenant({ name: 'Back-dated', taxRate: '0.1' });
    const plan = await s.h.createPlan(
      monthlyPlan({
        code: 'back',
        name: 'Back',
        baseFee: '10',
        gracePeriodSeconds: 0,
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.5' }],
      }),
    );
    await s.h.sendEvents(tenant.id, [
      ...calls('m1', 1, month(-3).toISOString()),
      ...calls('m2', 2, month(-2).toISOString()),
      ...calls('m3', 3, new Date(month(0).getTime() - 1).toISOString()),
    ]);
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: month(-3) });
    expect(sub.currentPeriod).toEqual({ start: month(-3).toISOString(), end: month(-2).toISOString() });

    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    let invoices = await s.h.invoicesOf(sub.id);
    for (let i = 0; i < 100 && !(invoices.length === 3 && invoices.every((x) => x.status !== 'draft')); i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      invoices = await s.h.invoicesOf(sub.id);
    }
    expect(invoices.map((i) => [i.period_start, i.period_end])).toEqual([
      [month(-3), month(-2)],
      [month(-2), month(-1)],
      [month(-1), month(0)],
    ]);
    // 10 + n × 0.5, plus 10 % tax: n = 1 → 10.50 + 1.05; n = 2 → 11.00 + 1.10; n = 3 → 11.50 + 1.15
    expect(invoices.map((i) => cents(i.total_minor))).toEqual(['11.55', '12.10', '12.65']);
    // Numbered in period order.
    const numbers = invoices.map((i) => Number(i.number!.slice(-6)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // The workflow records its last invoice just after the invoice is final in PostgreSQL (it
    // starts dunning first), so the status may lag the table for a moment.
    const status = await until(
      'the status to show the last invoice',
      async () => {
        const st = await handle.query(subscriptionStatusQuery);
        return st.lastInvoice?.invoiceId === invoices[2]!.id && st;
      },
      10_000,
    );
    expect(status).toMatchObject({
      state: 'active',
      currentPeriod: { start: month(0).toISOString(), end: month(1).toISOString() },
      lastInvoice: { invoiceId: invoices[2]!.id },
    });
  });
});
