import { randomUUID } from 'node:crypto';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { PartRef, WriteInvoiceInput } from '../../activities/invoices/invoice-activities.ts';
import { cents, createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { monthlyPlan, subscribeDirectly } from '../harness/billing-plans.ts';

// A rate card's period split by an invoice-now: each value's run is rated cumulatively on its
// own (tiers, tier fee and minimum once per period and value), late usage inside the run is
// billed by the next part, and late usage after the close is an adjustment of its value.

let h: BillingHarness;
let activities: ReturnType<typeof createActivities>;
const april = { start: '2026-04-01T00:00:00.000Z', end: '2026-05-01T00:00:00.000Z' };
const may = { start: april.end, end: '2026-06-01T00:00:00.000Z' };
const mid = '2026-04-16T00:00:00.000Z';

beforeAll(async () => {
  h = await createBillingHarness();
  await h.defineMeter({
    code: 'tokens',
    name: 'Tokens',
    eventType: 'completion',
    aggregation: 'sum',
    valueProperty: 'tokens',
    groupBy: ['model'],
  });
  activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
});
afterAll(async () => h?.dispose());

/** Invoices [from, to) of `period` as the workflow's close does: usage, late usage, draft, finalize. */
async function invoicePart(
  s: { tenantId: string; subscriptionId: string; plan: { id: string; version: number } },
  from: string,
  to: string,
  period = april,
) {
  const parts: PartRef[] = [{ from, to, planId: s.plan.id, version: s.plan.version }];
  const usage = await activities.readPeriodUsage({ tenantId: s.tenantId, segments: parts });
  const adjustments = await activities.rateLateUsage({
    tenantId: s.tenantId,
    subscriptionId: s.subscriptionId,
    currency: 'USD',
    before: from,
  });
  const input: WriteInvoiceInput = {
    invoiceId: randomUUID(),
    tenantId: s.tenantId,
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
  return activities.finalizeInvoice({ invoiceId: draft.invoiceId, tenantId: s.tenantId, issuedAt: to });
}

let n = 0;
const completion = (day: number, tokens: number, model: string) => ({
  id: `t-${++n}`,
  type: 'completion',
  time: new Date(Date.parse(april.start) + day * 86_400_000),
  data: { tokens, model },
});

describe('a rate card split by an invoice-now', () => {
  it('rates each value over its run, so the parts add up per value to the cent', async () => {
    const tenant = await h.createTenant({ name: 'split-rates' });
    const plan = await h.createPlan(
      monthlyPlan({
        code: 'split-rates',
        name: 'Rates',
        charges: [
          {
            meter: 'tokens',
            model: 'graduated',
            tiers: [
              { upTo: '1000', unitPrice: '0', flatFee: '100' },
              { upTo: null, unitPrice: '1.01' },
            ],
            priceBy: 'model',
            rates: [{ match: 'large', model: 'per_unit', unitPrice: '0.03', minimum: '5' }],
          },
        ],
      }),
    );
    const s = { tenantId: tenant.id, plan, subscriptionId: await subscribeDirectly(h, tenant.id, plan, april) };
    const lines = async () =>
      (await h.invoicesOf(s.subscriptionId)).map((i) => i.lines.map((l) => [l.type, l.dimensions?.model, cents(l.amount_minor)]));

    await h.sendEvents(tenant.id, [completion(2, 750, 'mistral'), completion(3, 100, 'large')]);
    await invoicePart(s, april.start, mid);
    // large: max(100 × 0.03, 5) = 5.00, the minimum once per period; mistral: the first tier's fee.
    expect((await lines())[0]).toEqual([
      ['usage', 'large', '5.00'],
      ['usage', 'mistral', '100.00'],
    ]);

    // Late mistral usage of the first part, then the second part's own usage, and a new model.
    await h.sendEvents(tenant.id, [completion(4, 10, 'mistral')]);
    await h.sendEvents(tenant.id, [completion(20, 750, 'mistral'), completion(21, 200, 'large'), completion(22, 10, 'llama')]);
    await invoicePart(s, mid, april.end);
    // large: 300 × 0.03 = 9.00 − 5.00; llama: its own first tier, 100.00;
    // mistral: 1510 in the run → 100 + 510 × 1.01 = 615.10 − 100.00 (its late usage billed once, here).
    expect((await lines())[1]).toEqual([
      ['usage', 'large', '4.00'],
      ['usage', 'llama', '100.00'],
      ['usage', 'mistral', '515.10'],
    ]);

    // Large usage of April after the close: May re-rates April's large run, 400 × 0.03 = 12.00 − 9.00.
    await h.sendEvents(tenant.id, [completion(25, 100, 'large')]);
    await invoicePart(s, may.start, may.end, may);
    expect((await lines())[2]).toEqual([
      ['usage', 'large', '5.00'], // May's own minimum
      ['adjustment', 'large', '3.00'],
    ]);
  });
});
