import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateBurns, creditApplied } from './burn-allocation.ts';
import type { CreditGrant } from './grant-order.ts';
import {
  LedgerError,
  balanceOf,
  burnEntries,
  checkAppend,
  expiryEntries,
  remainingByGrant,
  reversalEntries,
  voidEntries,
  withBalanceAfter,
  type LedgerEntry,
} from './ledger.ts';
import { spreadTax } from './line-shares.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const day = (n: number) => new Date(T0 + n * DAY);

type Op =
  | { op: 'grant'; amount: bigint; priority: number; expiresInDays: number | null; appliesTo: string[] | null }
  | { op: 'invoice'; lines: { meter: string | null; amount: bigint }[]; taxPercent: number }
  | { op: 'void_invoice'; pick: number }
  | { op: 'void_grant'; pick: number }
  | { op: 'expire' };

const meter = fc.constantFrom('calls', 'tokens', null);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('grant' as const),
    amount: fc.bigInt({ min: 1n, max: 10n ** 12n }),
    priority: fc.integer({ min: 0, max: 3 }),
    expiresInDays: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
    appliesTo: fc.option(fc.subarray(['calls', 'tokens'], { minLength: 1 }), { nil: null }),
  }),
  fc.record({
    op: fc.constant('invoice' as const),
    lines: fc.array(fc.record({ meter, amount: fc.bigInt({ min: -(10n ** 11n), max: 10n ** 12n }) }), { minLength: 1, maxLength: 5 }),
    taxPercent: fc.integer({ min: 0, max: 25 }),
  }),
  fc.record({ op: fc.constant('void_invoice' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('void_grant' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('expire' as const) }),
);

/** Plays the operations against a ledger, one day apart, the way the service will: compute entries, check them, append. */
function play(ops: Op[]) {
  const ledger: LedgerEntry[] = [];
  const grants: Omit<CreditGrant, 'remainingMinor'>[] = [];
  const invoices: { id: string; total: bigint; applied: bigint; payable: Map<string, bigint>; meters: Map<string, string | null> }[] = [];
  const append = (entries: LedgerEntry[]) => {
    checkAppend(ledger, entries);
    ledger.push(...entries);
  };
  const live = () => {
    const remaining = remainingByGrant(ledger);
    return grants.map((g) => ({ ...g, remainingMinor: remaining.get(g.id) ?? 0n }));
  };
  ops.forEach((op, n) => {
    const at = day(n);
    append(expiryEntries(live(), at));
    if (op.op === 'grant') {
      const id = `g${n}`;
      grants.push({
        id,
        priority: op.priority,
        effectiveAt: at,
        expiresAt: op.expiresInDays === null ? null : day(n + op.expiresInDays),
        appliesTo: op.appliesTo,
      });
      append([{ kind: 'grant', grantId: id, amountMinor: op.amount, at }]);
    } else if (op.op === 'invoice') {
      const id = `inv${n}`;
      const charged = op.lines.map((l, i) => ({ lineId: `${id}/${i}`, meter: l.meter, amountMinor: l.amount }));
      const subtotal = charged.reduce((s, l) => s + l.amountMinor, 0n);
      const tax = subtotal > 0n ? (subtotal * BigInt(op.taxPercent)) / 100n : 0n;
      const lines = spreadTax(charged, tax);
      const burns = allocateBurns(live(), lines, at);
      append(burnEntries(burns, id, at));
      invoices.push({
        id,
        total: subtotal + tax,
        applied: creditApplied(burns),
        payable: new Map(lines.map((l) => [l.lineId, l.payableMinor])),
        meters: new Map(lines.map((l) => [l.lineId, l.meter])),
      });
    } else if (op.op === 'void_invoice' && invoices.length > 0) {
      append(reversalEntries(ledger, live(), invoices[op.pick % invoices.length]!.id, at));
    } else if (op.op === 'void_grant' && grants.length > 0) {
      append(voidEntries(live()[op.pick % grants.length]!, at));
    }
  });
  return { ledger, grants: live(), invoices };
}

describe('the credit ledger', () => {
  it('balances to the sum of its entries, and no grant goes below zero, for any sequence', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const { ledger, grants, invoices } = play(ops);
        const remaining = remainingByGrant(ledger);
        // The balance is the sum of the entries, and of the grants' remaining credit
        expect(balanceOf(ledger)).toBe([...remaining.values()].reduce((a, b) => a + b, 0n));
        expect(withBalanceAfter(ledger).at(-1)?.balanceAfterMinor ?? 0n).toBe(balanceOf(ledger));
        for (const g of grants) expect(g.remainingMinor).toBeGreaterThanOrEqual(0n);
        for (const inv of invoices) {
          // Credit never pays more than an invoice's total, nor more than any line's payable amount
          expect(inv.applied).toBeLessThanOrEqual(inv.total > 0n ? inv.total : 0n);
          const burns = ledger.filter((e) => e.kind === 'burn' && e.invoiceId === inv.id);
          for (const b of burns) {
            const paid = burns.filter((x) => x.lineId === b.lineId).reduce((s, x) => s - x.amountMinor, 0n);
            expect(paid).toBeLessThanOrEqual(inv.payable.get(b.lineId!)!);
            // A scoped grant pays only for its meters' lines
            const grant = grants.find((g) => g.id === b.grantId)!;
            if (grant.appliesTo !== null) expect(grant.appliesTo).toContain(inv.meters.get(b.lineId!));
          }
          // Reversals give back at most what was burnt, once
          const reversed = ledger.filter((e) => e.kind === 'reversal' && e.invoiceId === inv.id).reduce((s, e) => s + e.amountMinor, 0n);
          expect(reversed === 0n || reversed === -balanceOf(burns)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('burns by priority, then the earliest expiry, and stops at the total', () => {
    const g = (id: string, priority: number, expires: number | null, remainingMinor: bigint): CreditGrant => ({
      id,
      priority,
      effectiveAt: day(0),
      expiresAt: expires === null ? null : day(expires),
      appliesTo: null,
      remainingMinor,
    });
    const lines = spreadTax([{ lineId: 'fee', meter: null, amountMinor: 1000n }], 100n); // total 1100
    const burns = allocateBurns(
      [g('never', 1, null, 900n), g('late', 1, 9, 300n), g('soon', 1, 2, 300n), g('first', 0, null, 100n)],
      lines,
      day(1),
    );
    expect(burns.map((b) => [b.grantId, b.amountMinor])).toEqual([
      ['first', 100n],
      ['soon', 300n],
      ['late', 300n],
      ['never', 400n],
    ]);
  });

  it('pays nothing from a grant not yet effective or already expired', () => {
    const lines = spreadTax([{ lineId: 'fee', meter: null, amountMinor: 500n }], 0n);
    const future: CreditGrant = { id: 'f', priority: 0, effectiveAt: day(5), expiresAt: null, appliesTo: null, remainingMinor: 100n };
    const expired: CreditGrant = { id: 'e', priority: 0, effectiveAt: day(0), expiresAt: day(3), appliesTo: null, remainingMinor: 100n };
    expect(allocateBurns([future, expired], lines, day(3))).toEqual([]);
    expect(allocateBurns([expired], lines, new Date(day(3).getTime() - 1))).toEqual([{ grantId: 'e', lineId: 'fee', amountMinor: 100n }]);
  });

  it('pays for a scoped meter line with its tax, and nothing else', () => {
    const lines = spreadTax(
      [
        { lineId: 'fee', meter: null, amountMinor: 1000n },
        { lineId: 'calls', meter: 'calls', amountMinor: 1000n },
      ],
      200n,
    );
    const scoped: CreditGrant = { id: 's', priority: 0, effectiveAt: day(0), expiresAt: null, appliesTo: ['calls'], remainingMinor: 5000n };
    expect(allocateBurns([scoped], lines, day(1))).toEqual([{ grantId: 's', lineId: 'calls', amountMinor: 1100n }]);
  });

  it('refuses an entry of the wrong sign, a second opening, a grant with no opening, and going below zero', () => {
    const open: LedgerEntry = { kind: 'grant', grantId: 'g', amountMinor: 100n, at: day(0) };
    expect(() => checkAppend([], [{ ...open, amountMinor: -100n }])).toThrow(LedgerError);
    expect(() => checkAppend([], [{ ...open, amountMinor: 0n }])).toThrow(LedgerError);
    expect(() => checkAppend([open], [open])).toThrow(/already open/);
    expect(() => checkAppend([], [{ kind: 'burn', grantId: 'g', amountMinor: -1n, at: day(0) }])).toThrow(/no opening/);
    expect(() => checkAppend([open], [{ kind: 'burn', grantId: 'g', amountMinor: -101n, at: day(0) }])).toThrow(/below zero/);
    expect(() => checkAppend([open], [{ kind: 'burn', grantId: 'g', amountMinor: -100n, at: day(0) }])).not.toThrow();
  });

  it('gives a voided invoice its burns back once, and an expired grant loses them again at once', () => {
    const grant: CreditGrant = { id: 'g', priority: 0, effectiveAt: day(0), expiresAt: day(5), appliesTo: null, remainingMinor: 0n };
    const ledger: LedgerEntry[] = [
      { kind: 'grant', grantId: 'g', amountMinor: 700n, at: day(0) },
      { kind: 'burn', grantId: 'g', amountMinor: -700n, at: day(1), invoiceId: 'i', lineId: 'i/0' },
    ];
    const live = reversalEntries(ledger, [grant], 'i', day(2));
    expect(live.map((e) => [e.kind, e.amountMinor])).toEqual([['reversal', 700n]]);
    expect(reversalEntries([...ledger, ...live], [grant], 'i', day(3))).toEqual([]);
    const late = reversalEntries(ledger, [grant], 'i', day(6));
    expect(late.map((e) => [e.kind, e.amountMinor])).toEqual([
      ['reversal', 700n],
      ['expiry', -700n],
    ]);
    expect(balanceOf([...ledger, ...late])).toBe(0n);
  });
});
