import { randomUUID } from 'node:crypto';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { PartRef, WriteInvoiceInput } from '../../activities/invoices/invoice-activities.ts';
import { cents, createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { CALLS_METER, ISSUE_GRADUATED_CALLS, monthlyPlan, subscribeDirectly } from '../harness/billing-plans.ts';

// One period invoiced in parts through the real invoice activities (PostgreSQL, ClickHouse): what
// earlier parts billed is read from the stored invoices, so the parts add up to the unsplit period.

let h: BillingHarness;
let activities: ReturnType<typeof createActivities>;
const april = { start: '2026-04-01T00:00:00.000Z', end: '2026-05-01T00:00:00.000Z' };
const mid = '2026-04-16T00:00:00.000Z';

beforeAll(async () => {
  h = await createBillingHarness();
  await h.defineMeter(CALLS_METER);
  activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
});
afterAll(async () => h?.dispose());

async function subscribed(name: string) {
  const tenant = await h.createTenant({ name });
  // The issue's plan: the first 1,000 calls come with a 100.00 tier fee, each further call costs 1.01.
  const plan = await h.createPlan(
    monthlyPlan({
      code: `g-${name}`,
      name: 'Graduated',
      charges: [ISSUE_GRADUATED_CALLS],
    }),
  );
  return { tenant, plan, subscriptionId: await subscribeDirectly(h, tenant.id, plan, april) };
}

/** Invoices [from, to) of April as the workflow's close does: usage, late usage, draft, finalize. */
async function invoicePart(s: Awaited<ReturnType<typeof subscribed>>, from: string, to: string, period = april) {
  const parts: PartRef[] = [{ from, to, planId: s.plan.id, version: s.plan.version }];
  const usage = await activities.readPeriodUsage({ tenantId: s.tenant.id, segments: parts });
  const adjustments = await activities.rateLateUsage({
    tenantId: s.tenant.id,
    subscriptionId: s.subscriptionId,
    currency: 'USD',
    before: from,
  });
  const input: WriteInvoiceInput = {
    invoiceId: randomUUID(),
    tenantId: s.tenant.id,
    subscriptionId: s.subscriptionId,
    reason: to === period.end ? 'period_end' : 'invoice_now',
    currency: 'USD',
    period,
    serviceFrom: from,
    serviceEnd: to,
    segments: parts,
    usage,
    adjustments,
  };
  const draft = await activities.writeInvoice(input);
  return activities.finalizeInvoice({ invoiceId: draft.invoiceId, tenantId: s.tenant.id, issuedAt: to });
}

const calls = (prefix: string, n: number, day: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: 'call',
    time: new Date(Date.parse(april.start) + day * 86_400_000 + i * 1000),
  }));

const usageLines = async (subscriptionId: string) =>
  (await h.invoicesOf(subscriptionId)).map((i) => i.lines.filter((l) => l.meter === 'calls').map((l) => [l.type, cents(l.amount_minor)]));

describe('1,500 calls in April on a graduated plan', () => {
  it('bill 100 + 500 × 1.01 = 605.00 when split by an invoice-now mid-month, as unsplit', async () => {
    const s = await subscribed('split-mid');
    await h.sendEvents(s.tenant.id, [...calls('a', 750, 2), ...calls('b', 750, 20)]);
    expect((await invoicePart(s, april.start, mid)).subtotal).toBe('100.00'); // 750 calls: the first tier's fee only
    expect((await invoicePart(s, mid, april.end)).subtotal).toBe('505.00'); // 1,500 calls: 605.00, less the 100.00 billed
    expect(await usageLines(s.subscriptionId)).toEqual([[['usage', '100.00']], [['usage', '505.00']]]);
  });

  it('does not charge the tier fee again for a 1-second part', async () => {
    const s = await subscribed('one-second');
    await h.sendEvents(s.tenant.id, [...calls('a', 750, 2), ...calls('b', 750, 20)]);
    const second = new Date(Date.parse(mid) + 1000).toISOString();
    await invoicePart(s, april.start, mid);
    expect((await invoicePart(s, mid, second)).subtotal).toBe('0.00');
    expect((await invoicePart(s, second, april.end)).subtotal).toBe('505.00');
  });

  it('bills late usage of an earlier part once, inside the next part of the run', async () => {
    const s = await subscribed('late-in-run');
    await h.sendEvents(s.tenant.id, [...calls('a', 750, 2), ...calls('b', 750, 20)]);
    await invoicePart(s, april.start, mid);
    // 10 calls dated before mid-month arrive after the invoice-now: 1,510 calls → 100 + 510 × 1.01 = 615.10.
    await h.sendEvents(s.tenant.id, calls('late', 10, 3));
    await invoicePart(s, mid, april.end);
    expect(await usageLines(s.subscriptionId)).toEqual([[['usage', '100.00']], [['usage', '515.10']]]);
    // One more April call after the close: May re-rates April's run as a whole, 1,511 calls →
    // 100 + 511 × 1.01 = 616.11, less 615.10 billed: +1.01. May itself starts a run: its tier fee, 100.00.
    await h.sendEvents(s.tenant.id, calls('later', 1, 25));
    await invoicePart(s, april.end, '2026-06-01T00:00:00.000Z', { start: april.end, end: '2026-06-01T00:00:00.000Z' });
    expect((await usageLines(s.subscriptionId))[2]).toEqual([
      ['usage', '100.00'],
      ['adjustment', '1.01'],
    ]);
  });
});
