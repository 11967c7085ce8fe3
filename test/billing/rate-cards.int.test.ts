import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios, type InvoiceWithLines } from '../harness/billing.ts';
import { ISSUE_RATE_CARD_TOKENS, monthlyPlan, subscribedFrom } from '../harness/billing-plans.ts';
import { pdfText } from '../harness/pdf-text.ts';
import { toInvoice } from '../../api/invoices/invoice-schemas.ts';
import { toDecimal, toDecimalString } from '../../domain/money/index.ts';
import { createEstimateService } from '../../api/subscriptions/estimate-service.ts';
import { createMeterCatalog } from '../../api/meters/meter-catalog.ts';

// Rate cards end to end on the time-skipping server: one usage line per model on one invoice,
// each exact to the cent, and late usage of one model billed as an adjustment that names it.

const s = useBillingScenarios((h) =>
  h.defineMeter({
    code: 'tokens',
    name: 'Tokens',
    eventType: 'completion',
    aggregation: 'sum',
    valueProperty: 'tokens',
    groupBy: ['model'],
  }),
);

const d = (iso: string) => new Date(iso);
let n = 0;
const completion = (time: string, tokens: number, model?: string) => ({
  id: `c-${++n}`,
  type: 'completion',
  time,
  data: model === undefined ? { tokens } : { tokens, model },
});
const lines = (invoice: InvoiceWithLines) =>
  invoice.lines.map((l) => [
    l.type,
    l.dimensions,
    l.model,
    l.quantity === null ? null : toDecimalString(toDecimal(l.quantity)),
    l.event_count,
    cents(l.amount_minor),
  ]);

describe('a rate card priced by model', () => {
  it('bills one line per model at its rate (other models graduated, each on its own tiers), and late usage of one model as its adjustment', async () => {
    const { tenant, sub } = await subscribedFrom(
      s.h,
      'AI company',
      monthlyPlan({
        code: 'tokens-by-model',
        name: 'Tokens',
        gracePeriodSeconds: 0,
        charges: [ISSUE_RATE_CARD_TOKENS],
      }),
      d('2027-01-01T00:00:00Z'),
    );
    const jan = '2027-01-15T12:00:00Z';
    await s.h.sendEvents(tenant.id, [
      completion(jan, 400000, 'large'),
      completion(jan, 333333, 'large'),
      completion(jan, 501234, 'large'),
      completion(jan, 1000000, 'small'),
      completion(jan, 1000001, 'small'),
      completion(jan, 900000, 'mistral'),
      completion(jan, 600000, 'mistral'),
      completion(jan, 800000, 'llama'),
      completion(jan, 12345),
    ]);

    // The period so far, priced as the estimate route (and the budget check, and the credit
    // balance's pendingUsage) price it: per model, exactly as the invoice below. All 5546913 tokens
    // at the graduated fallback would be 10.00 + 4546913 × 0.000008 = 46.38.
    await s.sleepUntil('2027-01-20T00:00:00Z');
    const estimates = createEstimateService({ pg: s.h.db.pool, clickhouse: s.h.ch.client, meters: createMeterCatalog(s.h.db.pool) });
    const estimate = await estimates.estimate({ kind: 'operator' }, sub.id, d('2027-01-31T00:00:00Z'));
    expect([estimate.subtotal, estimate.total]).toEqual(['69.16', '69.16']);

    await s.sleepUntil('2027-02-01T12:00:00Z');
    const [january] = await s.h.invoicesOf(sub.id);
    // large: 1234567 × 0.00003 = 37.03701 → 37.04; small: 2000001 × 0.000005 = 10.000005 → 10.00;
    // llama: 800000 × 0.00001 = 8.00 and mistral: 1000000 × 0.00001 + 500000 × 0.000008 = 14.00,
    // each from the first tier (pooled, 2300000 tokens would be 20.40); without a model: 12345 × 0.00001 = 0.12345 → 0.12.
    expect(lines(january!)).toEqual([
      ['usage', { model: 'large' }, 'per_unit', '1234567', 3n, '37.04'],
      ['usage', { model: 'small' }, 'per_unit', '2000001', 2n, '10.00'],
      ['usage', { model: 'llama' }, 'graduated', '800000', 1n, '8.00'],
      ['usage', { model: 'mistral' }, 'graduated', '1500000', 2n, '14.00'],
      ['usage', { model: null }, 'graduated', '12345', 1n, '0.12'],
    ]);
    expect([january!.status, cents(january!.subtotal_minor), cents(january!.total_minor)]).toEqual(['paid', '69.16', '69.16']);
    expect(toDecimalString(toDecimal(january!.lines[0]!.unit_price!))).toBe('0.00003');

    // The API shows the dimensions; the PDF's descriptions name each model.
    const json = toInvoice(january!, january!.lines);
    expect(json.lines.map((l) => l.dimensions)).toEqual([
      { model: 'large' },
      { model: 'small' },
      { model: 'llama' },
      { model: 'mistral' },
      { model: null },
    ]);
    const [stored] = await s.h.ownerQuery<{ pdf: Buffer }>('SELECT pdf FROM invoices WHERE id = $1', [january!.id]);
    const text = pdfText(stored!.pdf).join('\n');
    for (const label of ['tokens model=large', 'tokens model=small', 'tokens model=llama', 'tokens model=mistral', 'tokens model not set'])
      expect(text).toContain(label);

    // Late January usage of large (past the first invoice), a model January never billed, and February's own usage.
    await s.h.sendEvents(tenant.id, [
      completion('2027-01-31T23:59:59.999Z', 100000, 'large'),
      completion('2027-01-20T00:00:00Z', 1000, 'phi'),
      completion('2027-02-10T00:00:00Z', 200000, 'mistral'),
    ]);
    await s.sleepUntil('2027-03-01T12:00:00Z');
    const [, february] = await s.h.invoicesOf(sub.id);
    // large re-rated with 1334567 tokens: 40.03701 → 40.04, less 37.04 billed = 3.00; phi: 1000 × 0.00001 = 0.01.
    expect(lines(february!)).toEqual([
      ['usage', { model: 'large' }, 'per_unit', '0', 0n, '0.00'],
      ['usage', { model: 'small' }, 'per_unit', '0', 0n, '0.00'],
      ['usage', { model: 'mistral' }, 'graduated', '200000', 1n, '2.00'],
      ['adjustment', { model: 'large' }, 'per_unit', '1334567', 4n, '3.00'],
      ['adjustment', { model: 'phi' }, 'graduated', '1000', 1n, '0.01'],
    ]);
    expect(february!.lines[3]).toMatchObject({
      description: 'tokens model=large: usage for 2027-01-01 – 2027-02-01 received after invoicing',
      usage_from: d('2027-01-01T00:00:00Z'),
      usage_to: d('2027-02-01T00:00:00Z'),
    });
    expect(cents(february!.total_minor)).toBe('5.01');
  });
});
