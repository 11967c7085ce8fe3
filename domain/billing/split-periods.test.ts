import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, ZERO } from '../money/index.ts';
import { chargeSchema, planSchema, type Plan, type PlanInput } from '../pricing/index.ts';
import { decimalText, positiveDecimalText } from '../../test/harness/arbitraries.ts';
import { continuedRun, invoiceLines, lateUsageAdjustment, partRuns, type BilledRunLine, type InvoiceLineDraft } from './index.ts';

// Parts of one period invoiced separately: rated cumulatively under one plan version, with
// prorated terms per plan across a plan change.

const d = (iso: string) => new Date(iso);
const april = { start: d('2026-04-01T00:00:00Z'), end: d('2026-05-01T00:00:00Z') }; // 30 days
const DAY = 86_400_000;
const at = (days: number) => new Date(april.start.getTime() + days * DAY);
const ref = (planId: string) => ({ planId, version: 1 });

// The plan: the first 1,000 calls come with a 100.00 tier fee, each further call 1.01.
const graduated = planSchema.parse({
  code: 'g',
  name: 'G',
  currency: 'USD',
  interval: 'month',
  baseFee: '0',
  charges: [
    {
      meter: 'calls',
      model: 'graduated',
      tiers: [
        { upTo: '1000', unitPrice: '0', flatFee: '100' },
        { upTo: null, unitPrice: '1.01' },
      ],
    },
  ],
} satisfies PlanInput);

type Event = { at: number; quantity: string };
const usageIn = (events: readonly Event[], from: number, to: number) => {
  const inside = events.filter((e) => e.at >= from && e.at < to);
  return { quantity: inside.reduce((s, e) => s.plus(e.quantity), ZERO).toFixed(), eventCount: String(inside.length) };
};

/**
 * Invoices `period` in parts ending at `cuts` (then the period end) the way the invoice activity
 * does: each part finds the run it continues in the lines stored so far, re-reads the run's
 * earlier usage and subtracts what the run billed. Returns every line of every part.
 */
function invoiceInParts(plan: Plan, events: readonly Event[], cuts: readonly number[], period = april): InvoiceLineDraft[][] {
  const stored: BilledRunLine[] = [];
  const parts: InvoiceLineDraft[][] = [];
  const ends = [...cuts, period.end.getTime()];
  let from = period.start.getTime();
  for (const end of ends) {
    const window = { start: new Date(from), end: new Date(end) };
    const found = continuedRun(stored, ref('p'), window.start);
    const run = partRuns(period, [window], found?.from ?? null)[0]!;
    const earlier = found
      ? Object.fromEntries(
          plan.charges.map((c) => [
            c.meter,
            { usage: usageIn(events, found.from.getTime(), from), billed: (found.billed.get(c.meter) ?? ZERO).toFixed() },
          ]),
        )
      : undefined;
    const usage = Object.fromEntries(plan.charges.map((c) => [c.meter, usageIn(events, from, end)]));
    const lines = invoiceLines({
      currency: plan.currency,
      period,
      parts: [{ window, plan, planRef: ref('p'), usage, run: { ...run, earlier } }],
    });
    // What the activity reads back: every line rated cumulatively (charges, and prorated base fees).
    for (const l of lines) {
      if (l.rating?.from !== undefined)
        stored.push({ meter: l.meter, planRef: l.planRef, from: new Date(l.rating.from), to: new Date(l.rating.to!), amount: l.amount });
    }
    parts.push(lines);
    from = end;
  }
  return parts;
}

const chargeTotal = (lines: readonly InvoiceLineDraft[]) => lines.filter((l) => l.meter).reduce((s, l) => s.plus(l.amount), ZERO);

describe('the issue: 1,500 calls on a graduated plan', () => {
  const events: Event[] = [
    { at: at(5).getTime(), quantity: '750' },
    { at: at(20).getTime(), quantity: '750' },
  ];

  it('bill 605.00 unsplit, and 605.00 split in the middle (100.00 then 505.00)', () => {
    // Unsplit: 100 (tier fee) + 500 × 1.01 = 605.00.
    const [whole] = invoiceInParts(graduated, events, []);
    expect(whole!.map((l) => l.amount)).toEqual(['605.00']);
    // Mid-month: 750 calls so far are in the first tier: 100.00. At the end the period has 1,500: 605.00 − 100.00.
    const [first, second] = invoiceInParts(graduated, events, [at(15).getTime()]);
    expect(first!.map((l) => l.amount)).toEqual(['100.00']);
    expect(second!.map((l) => l.amount)).toEqual(['505.00']);
    expect(second![0]!.description).toBe(
      'G: calls (graduated) for 2026-04-16 – 2026-05-01, rated with the usage since 2026-04-01 less what was billed for it',
    );
    expect(second![0]!.quantity).toBe('750'); // the part's own usage
  });

  it('charges the tier fee once: a 1-second part after mid-month bills 0.00, not 100.00 again', () => {
    const mid = at(15).getTime();
    const parts = invoiceInParts(graduated, events, [mid, mid + 1000]);
    expect(parts.map((p) => p[0]!.amount)).toEqual(['100.00', '0.00', '505.00']);
  });
});

describe("a plan change prorates each plan's fixed amounts and free units", () => {
  const basic = planSchema.parse({
    code: 'b',
    name: 'Basic',
    currency: 'USD',
    interval: 'month',
    baseFee: '0',
    charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.1', freeUnits: '300' }],
  } satisfies PlanInput);

  it('scales free units, tier flat fees and the minimum to each part by elapsed time', () => {
    const change = at(10); // 10 of 30 days under Basic, 20 under G
    const lines = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [
        {
          window: { start: april.start, end: change },
          plan: basic,
          planRef: ref('basic'),
          usage: { calls: { quantity: '150', eventCount: '150' } },
        },
        {
          window: { start: change, end: april.end },
          plan: graduated,
          planRef: ref('g'),
          usage: { calls: { quantity: '1000', eventCount: '1000' } },
        },
      ],
    });
    expect(lines.map((l) => l.amount)).toEqual([
      '5.00', // free units 300 × 10/30 = 100; 50 × 0.1
      '66.67', // tier fee 100 × 20/30 = 66.666…; tier boundaries stay: 1,000 calls are all in the first tier
    ]);
    expect(lines[1]!.tiers).toEqual([expect.objectContaining({ tier: 0, flatFee: expect.stringMatching(/^66\.6+7?$/) })]);
  });

  it('corrects a part billed in full by an invoice-now once a plan change ends its run', () => {
    // Invoice-now on day 10 under G (750 calls): 100.00 in full. A change to Basic on day 20 ends
    // G's run: G's terms are prorated to [day 0, day 20): tier fee 100 × 20/30 = 66.67, so the
    // close bills 66.67 − 100.00 = −33.33 for G, and Basic's own part.
    const invoiceNow = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [
        {
          window: { start: april.start, end: at(10) },
          plan: graduated,
          planRef: ref('g'),
          usage: { calls: { quantity: '750', eventCount: '1' } },
        },
      ],
    });
    expect(invoiceNow.map((l) => l.amount)).toEqual(['100.00']);
    const stored = invoiceNow.map((l) => ({
      meter: l.meter!,
      planRef: l.planRef,
      from: new Date(l.rating!.from!),
      to: new Date(l.rating!.to!),
      amount: l.amount,
    }));
    const found = continuedRun(stored, ref('g'), at(10))!;
    expect(found.from).toEqual(april.start);
    const windows = [
      { start: at(10), end: at(20) },
      { start: at(20), end: april.end },
    ];
    const runs = partRuns(april, windows, found.from);
    expect(runs).toEqual([
      { from: april.start, prorated: true },
      { from: at(20), prorated: true },
    ]);
    const close = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [
        {
          window: windows[0]!,
          plan: graduated,
          planRef: ref('g'),
          usage: { calls: { quantity: '0', eventCount: '0' } },
          run: { ...runs[0]!, earlier: { calls: { usage: { quantity: '750', eventCount: '1' }, billed: '100.00' } } },
        },
        { window: windows[1]!, plan: basic, planRef: ref('basic'), usage: { calls: { quantity: '100', eventCount: '1' } }, run: runs[1]! },
      ],
    });
    // Basic: free units 300 × 10/30 = 100 ≥ 100 calls: 0.00.
    expect(close.map((l) => l.amount)).toEqual(['-33.33', '0.00']);
  });

  it('does not continue a run of another plan version', () => {
    const stored: BilledRunLine[] = [
      { meter: 'calls', planRef: { planId: 'p', version: 1 }, from: april.start, to: at(10), amount: '100.00' },
    ];
    expect(continuedRun(stored, { planId: 'p', version: 2 }, at(10))).toBeNull();
    expect(continuedRun(stored, { planId: 'p', version: 1 }, at(11))).toBeNull();
  });

  it('refuses a part that continues a run without what the run billed', () => {
    expect(() =>
      invoiceLines({
        currency: 'USD',
        period: april,
        parts: [
          {
            window: { start: at(10), end: april.end },
            plan: graduated,
            planRef: ref('g'),
            usage: {},
            run: { from: april.start, prorated: false },
          },
        ],
      }),
    ).toThrow('needs what the run measured and billed for calls');
  });
});

describe('a single part of a period', () => {
  const minimumPlan = planSchema.parse({
    code: 'm',
    name: 'M',
    currency: 'USD',
    interval: 'month',
    baseFee: '0',
    charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.1', freeUnits: '300', minimum: '30' }],
  } satisfies PlanInput);
  const calls = { calls: { quantity: '600', eventCount: '1' } };

  it("an immediate cancellation on day 10 bills the period's terms in full: 300 free, then 300 × 0.1 = 30.00, the minimum 30", () => {
    const lines = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [{ window: { start: april.start, end: at(10) }, plan: minimumPlan, planRef: ref('m'), usage: calls }],
    });
    expect(lines.map((l) => l.amount)).toEqual(['30.00']);
    const low = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [
        {
          window: { start: april.start, end: at(10) },
          plan: minimumPlan,
          planRef: ref('m'),
          usage: { calls: { quantity: '0', eventCount: '0' } },
        },
      ],
    });
    expect(low.map((l) => l.amount)).toEqual(['30.00']); // the whole minimum, not 10.00
  });

  it('a first period starting on day 20 prorates: 100 free (300 × 10/30), 500 × 0.1 = 50.00 above the minimum 10.00', () => {
    const lines = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [{ window: { start: at(20), end: april.end }, plan: minimumPlan, planRef: ref('m'), usage: calls }],
    });
    expect(lines.map((l) => l.amount)).toEqual(['50.00']);
  });
});

describe('late usage in a cumulative run', () => {
  it('re-rates the run from its start and subtracts every line of it', () => {
    // Billed 100.00 + 505.00 for 1,500 calls; 10 more arrive for the first part: 100 + 510 × 1.01 = 615.10 → +10.10.
    const charge = graduated.charges[0]!;
    const rating = {
      charge,
      period: { start: april.start.toISOString(), end: april.end.toISOString() },
      from: april.start.toISOString(),
      to: april.end.toISOString(),
      prorated: false,
    };
    const line = lateUsageAdjustment({
      currency: 'USD',
      rating,
      window: april,
      usage: { quantity: '1510', eventCount: '3' },
      billed: '605.00',
    });
    expect(line?.amount).toBe('10.10');
  });
});

// Any charge the schema accepts: free units, tier flat fees and minimums included.
const price = decimalText({ max: 10n ** 6n, maxScale: 4 });
const tiers = fc
  .array(fc.tuple(positiveDecimalText({ max: 10n ** 5n, maxScale: 2 }), price, fc.option(price, { nil: undefined })), {
    minLength: 1,
    maxLength: 4,
  })
  .map((steps) => {
    let upTo = new Decimal(0);
    return steps.map(([step, unitPrice, flatFee], i) => {
      upTo = upTo.plus(step);
      return { upTo: i === steps.length - 1 ? null : upTo.toFixed(), unitPrice, ...(flatFee === undefined ? {} : { flatFee }) };
    });
  });
const extras = { freeUnits: fc.option(price, { nil: undefined }), minimum: fc.option(price, { nil: undefined }) };
const anyCharge = fc.oneof(
  fc.record({ model: fc.constant('flat'), amount: price, minimum: extras.minimum }),
  fc.record({ model: fc.constant('per_unit'), unitPrice: price, ...extras }),
  fc.record({ model: fc.constant('graduated'), tiers, ...extras }),
  fc.record({ model: fc.constant('volume'), tiers, ...extras }),
  fc.record({ model: fc.constant('package'), packageSize: fc.integer({ min: 1, max: 1000 }), packagePrice: price, ...extras }),
);
const defined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe('invoice-now at any instants', () => {
  it('sums, per charge and to the minor unit, to the unsplit period', () => {
    const length = april.end.getTime() - april.start.getTime();
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'BHD'),
        fc.array(anyCharge, { minLength: 1, maxLength: 3 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: length - 1 }),
            quantity: decimalText({ max: 10n ** 7n, maxScale: 3 }),
            meter: fc.nat(2),
          }),
          { maxLength: 12 },
        ),
        fc.uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: 5 }),
        (currency, charges, raw, cuts) => {
          const plan = planSchema.parse({
            code: 'p',
            name: 'P',
            currency,
            interval: 'month',
            baseFee: '0',
            charges: charges.map((c, i) => chargeSchema.parse(defined({ ...c, meter: `m${i}` }))),
          });
          // One meter per charge here, so a charge's events are its meter's.
          const byMeter = (i: number) =>
            raw.filter((e) => e.meter % charges.length === i).map((e) => ({ at: april.start.getTime() + e.at, quantity: e.quantity }));
          const instants = [...cuts].sort((a, b) => a - b).map((c) => april.start.getTime() + c);
          plan.charges.forEach((charge, i) => {
            const single = { ...plan, charges: [charge] };
            const [whole] = invoiceInParts(single, byMeter(i), []);
            const parts = invoiceInParts(single, byMeter(i), instants);
            expect(
              parts
                .map(chargeTotal)
                .reduce((s, x) => s.plus(x), ZERO)
                .toFixed(),
            ).toBe(chargeTotal(whole!).toFixed());
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('invoice-now at any instants, base fee included', () => {
  const invoiceTotal = (lines: readonly InvoiceLineDraft[]) => lines.reduce((s, l) => s.plus(l.amount), ZERO);

  it('the invoices of the parts add up to the unsplit invoice to the minor unit', () => {
    const length = april.end.getTime() - april.start.getTime();
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'BHD'),
        decimalText({ max: 10n ** 7n, maxScale: 4 }),
        fc.array(anyCharge, { maxLength: 3 }), // none too: a plan of a base fee alone
        fc.array(fc.record({ at: fc.integer({ min: 0, max: length - 1 }), quantity: decimalText({ max: 10n ** 7n, maxScale: 3 }) }), {
          maxLength: 12,
        }),
        fc.uniqueArray(fc.integer({ min: 1, max: length - 1 }), { minLength: 1, maxLength: 6 }),
        (currency, baseFee, charges, raw, cuts) => {
          // One meter per charge (what earlier parts billed is kept per meter); every meter sees the same events.
          const plan = planSchema.parse({
            code: 'p',
            name: 'P',
            currency,
            interval: 'month',
            baseFee,
            charges: charges.map((c, i) => chargeSchema.parse(defined({ ...c, meter: `m${i}` }))),
          });
          const events = raw.map((e) => ({ at: april.start.getTime() + e.at, quantity: e.quantity }));
          const instants = [...cuts].sort((a, b) => a - b).map((c) => april.start.getTime() + c);
          const [whole] = invoiceInParts(plan, events, []);
          const parts = invoiceInParts(plan, events, instants);
          expect(
            parts
              .map(invoiceTotal)
              .reduce((s, x) => s.plus(x), ZERO)
              .toFixed(),
          ).toBe(invoiceTotal(whole!).toFixed());
          // The base fee lines alone sum to the whole fee, rounded once.
          const fees = parts
            .flat()
            .filter((l) => l.meter === undefined)
            .reduce((s, l) => s.plus(l.amount), ZERO);
          expect(fees.toFixed()).toBe(invoiceTotal(whole!.filter((l) => l.meter === undefined)).toFixed());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a base fee of 100.00 in three parts of 10 days bills 33.33, 33.34, 33.33 (not 33.33 three times)', () => {
    const plan = planSchema.parse({
      code: 'f',
      name: 'F',
      currency: 'USD',
      interval: 'month',
      baseFee: '100',
      charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '1' }],
    } satisfies PlanInput);
    const parts = invoiceInParts(plan, [], [at(10).getTime(), at(20).getTime()]);
    expect(parts.map((p) => p[0]!.amount)).toEqual(['33.33', '33.34', '33.33']);
    expect(parts[1]![0]!.description).toBe(
      'F: base fee for 2026-04-11 – 2026-04-21, prorated from 2026-04-01 – 2026-05-01, counted since 2026-04-01 less what was billed for it',
    );
    // A plan of a base fee alone finds its run through the base-fee lines.
    const feeOnly = planSchema.parse({
      code: 'o',
      name: 'O',
      currency: 'USD',
      interval: 'month',
      baseFee: '100',
      charges: [],
    } satisfies PlanInput);
    expect(invoiceInParts(feeOnly, [], [at(10).getTime(), at(20).getTime()]).map((p) => p.map((l) => l.amount))).toEqual([
      ['33.33'],
      ['33.34'],
      ['33.33'],
    ]);
  });
});
