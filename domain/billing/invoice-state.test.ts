import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  INVOICE_ACTIONS,
  INVOICE_ACTORS,
  INVOICE_STATES,
  amountDue,
  decideInvoice,
  type InvoiceAction,
  type InvoiceActor,
  type InvoiceCommand,
  type InvoiceDecision,
  type InvoiceFacts,
  type InvoiceState,
} from './index.ts';
import { allocateBurns, creditApplied, spreadTax } from '../credits/index.ts';

const DUE = 12_500n;
const ATTEMPT = 'attempt-1';

/** The invoice in `state`, owing DUE and paid nothing; the charge outcomes find their attempt pending. */
function factsFor(state: InvoiceState, action: InvoiceAction): InvoiceFacts {
  const recordsOutcome = action === 'charge_succeeded' || action === 'charge_declined';
  return { state, amountDueMinor: state === 'draft' ? null : DUE, amountPaidMinor: 0n, pendingAttemptId: recordsOutcome ? ATTEMPT : null };
}

/** Each action as its usual caller sends it. */
const commandFor: Record<InvoiceAction, InvoiceCommand> = {
  finalize: { action: 'finalize', actor: 'system', amountDueMinor: DUE },
  charge_started: { action: 'charge_started', actor: 'system' },
  charge_succeeded: { action: 'charge_succeeded', actor: 'system', attemptId: ATTEMPT, amountMinor: DUE },
  charge_declined: { action: 'charge_declined', actor: 'system', attemptId: ATTEMPT },
  manual_payment: { action: 'manual_payment', actor: 'finance', amountMinor: DUE, overpayment: 'refuse' },
  void: { action: 'void', actor: 'finance' },
  mark_uncollectible: { action: 'mark_uncollectible', actor: 'system' },
};

/** "paid +12500" (applied), "paid credit 12500", or "!code" for a refusal. */
function show(d: InvoiceDecision): string {
  if (!d.ok) return `!${d.code}`;
  return [d.to, d.appliedMinor > 0n ? `+${d.appliedMinor}` : null, d.creditMinor > 0n ? `credit ${d.creditMinor}` : null]
    .filter(Boolean)
    .join(' ');
}

// The whole table, written out by hand: rows are states, columns the actions in INVOICE_ACTIONS order.
const TABLE: Record<InvoiceState, Record<InvoiceAction, string>> = {
  draft: {
    finalize: 'finalized',
    charge_started: '!not_in_state',
    charge_succeeded: '!not_in_state',
    charge_declined: '!not_in_state',
    manual_payment: '!not_in_state',
    void: '!not_in_state',
    mark_uncollectible: '!not_in_state',
  },
  finalized: {
    finalize: '!not_in_state',
    charge_started: 'finalized',
    charge_succeeded: 'paid +12500',
    charge_declined: 'payment_failed',
    manual_payment: 'paid +12500',
    void: 'void',
    mark_uncollectible: 'uncollectible',
  },
  payment_failed: {
    finalize: '!not_in_state',
    charge_started: 'payment_failed',
    charge_succeeded: 'paid +12500',
    charge_declined: 'payment_failed',
    manual_payment: 'paid +12500',
    void: 'void',
    mark_uncollectible: 'uncollectible',
  },
  paid: {
    finalize: '!not_in_state',
    charge_started: '!not_in_state',
    charge_succeeded: 'paid credit 12500',
    charge_declined: 'paid',
    manual_payment: '!already_paid',
    void: '!not_in_state',
    mark_uncollectible: '!not_in_state',
  },
  uncollectible: {
    finalize: '!not_in_state',
    charge_started: '!not_in_state',
    charge_succeeded: 'paid +12500',
    charge_declined: 'uncollectible',
    manual_payment: 'paid +12500',
    void: '!not_in_state',
    mark_uncollectible: '!not_in_state',
  },
  void: {
    finalize: '!not_in_state',
    charge_started: '!not_in_state',
    charge_succeeded: 'void credit 12500',
    charge_declined: 'void',
    manual_payment: '!not_in_state',
    void: '!not_in_state',
    mark_uncollectible: '!not_in_state',
  },
};

describe('decideInvoice: every (state, action) pair', () => {
  for (const state of INVOICE_STATES) {
    for (const action of INVOICE_ACTIONS) {
      it(`${state} × ${action} → ${TABLE[state][action]}`, () => {
        const decision = decideInvoice(factsFor(state, action), commandFor[action]);
        expect(show(decision)).toBe(TABLE[state][action]);
        expect(decision.from).toBe(state);
        expect(decision.action).toBe(action);
      });
    }
  }
});

describe('decideInvoice: who may trigger each action', () => {
  const allowed: Record<InvoiceAction, readonly InvoiceActor[]> = {
    finalize: ['system'],
    charge_started: ['system'],
    charge_succeeded: ['system'],
    charge_declined: ['system'],
    manual_payment: ['admin', 'finance'],
    void: ['admin', 'finance'],
    mark_uncollectible: ['system'],
  };
  for (const action of INVOICE_ACTIONS) {
    for (const actor of INVOICE_ACTORS) {
      const may = allowed[action].includes(actor);
      it(`${actor} ${may ? 'may' : 'may not'} ${action}`, () => {
        // In a state where the action applies, so only the actor can be the reason for a refusal.
        const state = action === 'finalize' ? 'draft' : 'finalized';
        const decision = decideInvoice(factsFor(state, action), { ...commandFor[action], actor } as InvoiceCommand);
        if (may) expect(decision.ok).toBe(true);
        else expect(show(decision)).toBe('!not_permitted');
      });
    }
  }
});

describe('decideInvoice: a pending gateway attempt is a lock', () => {
  const open = (state: InvoiceState): InvoiceFacts => ({ state, amountDueMinor: DUE, amountPaidMinor: 0n, pendingAttemptId: ATTEMPT });

  it('refuses a new charge, a manual payment, a void and the end of dunning, naming the attempt', () => {
    for (const action of ['charge_started', 'manual_payment', 'void', 'mark_uncollectible'] as const) {
      for (const state of ['finalized', 'payment_failed'] as const) {
        const decision = decideInvoice(open(state), commandFor[action]);
        expect(decision).toMatchObject({ ok: false, code: 'charge_pending', pendingAttemptId: ATTEMPT });
      }
    }
  });

  it('refuses even a credit-bound payment on a paid invoice while a charge is in flight', () => {
    const decision = decideInvoice(open('paid'), { action: 'manual_payment', actor: 'admin', amountMinor: 1n, overpayment: 'credit' });
    expect(show(decision)).toBe('!charge_pending');
  });

  it('records only the outcome of the attempt in flight', () => {
    const other = { ...open('finalized'), pendingAttemptId: 'attempt-2' };
    expect(show(decideInvoice(other, commandFor.charge_succeeded))).toBe('!not_the_pending_attempt');
    expect(show(decideInvoice(other, commandFor.charge_declined))).toBe('!not_the_pending_attempt');
    expect(show(decideInvoice({ ...other, pendingAttemptId: null }, commandFor.charge_succeeded))).toBe('!not_the_pending_attempt');
  });
});

describe('decideInvoice: amounts', () => {
  const owing = (paid: bigint, state: InvoiceState = 'payment_failed'): InvoiceFacts => ({
    state,
    amountDueMinor: DUE,
    amountPaidMinor: paid,
    pendingAttemptId: null,
  });
  const manual = (amountMinor: bigint, overpayment: 'refuse' | 'credit' = 'refuse'): InvoiceCommand => ({
    action: 'manual_payment',
    actor: 'finance',
    amountMinor,
    overpayment,
  });

  it('a partial payment keeps the state; the one that completes it pays the invoice', () => {
    expect(show(decideInvoice(owing(0n), manual(5_000n)))).toBe('payment_failed +5000');
    expect(show(decideInvoice(owing(5_000n), manual(7_500n)))).toBe('paid +7500');
    expect(show(decideInvoice(owing(5_000n, 'uncollectible'), manual(7_499n)))).toBe('uncollectible +7499');
  });

  it('refuses more than the amount due, unless the excess is to become credit', () => {
    expect(decideInvoice(owing(5_000n), manual(7_501n))).toMatchObject({ ok: false, code: 'exceeds_amount_due', remainingMinor: 7_500n });
    expect(show(decideInvoice(owing(5_000n), manual(7_501n, 'credit')))).toBe('paid +7500 credit 1');
  });

  it('on a paid invoice, a payment is all credit, or refused', () => {
    expect(show(decideInvoice(owing(DUE, 'paid'), manual(3_007n)))).toBe('!already_paid');
    expect(show(decideInvoice(owing(DUE, 'paid'), manual(3_007n, 'credit')))).toBe('paid credit 3007');
  });

  it('refuses an amount of zero or less', () => {
    expect(show(decideInvoice(owing(0n), manual(0n, 'credit')))).toBe('!invalid_amount');
    expect(show(decideInvoice(owing(0n), manual(-1n, 'credit')))).toBe('!invalid_amount');
    const noCharge = { ...owing(0n), pendingAttemptId: ATTEMPT };
    expect(show(decideInvoice(noCharge, { action: 'charge_succeeded', actor: 'system', attemptId: ATTEMPT, amountMinor: 0n }))).toBe(
      '!invalid_amount',
    );
  });

  it('starts no charge when nothing is left to collect', () => {
    expect(show(decideInvoice(owing(DUE, 'finalized'), commandFor.charge_started))).toBe('!nothing_due');
    expect(show(decideInvoice(owing(DUE - 1n, 'finalized'), commandFor.charge_started))).toBe('finalized');
  });

  it('finalizes an invoice with nothing due (zero, negative, or covered by credit) as paid', () => {
    const draft: InvoiceFacts = { state: 'draft', amountDueMinor: null, amountPaidMinor: 0n, pendingAttemptId: null };
    for (const due of [0n, -1n])
      expect(show(decideInvoice(draft, { action: 'finalize', actor: 'system', amountDueMinor: due }))).toBe('paid');
    expect(show(decideInvoice(draft, { action: 'finalize', actor: 'system', amountDueMinor: 1n }))).toBe('finalized');
  });

  it('a void credits what was already paid on the invoice', () => {
    expect(show(decideInvoice(owing(5_000n), commandFor.void))).toBe('void credit 5000');
  });

  it('a charge larger than what is left pays the invoice and credits the rest', () => {
    const facts = { ...owing(2_000n), pendingAttemptId: ATTEMPT };
    expect(show(decideInvoice(facts, { action: 'charge_succeeded', actor: 'system', attemptId: ATTEMPT, amountMinor: DUE }))).toBe(
      'paid +10500 credit 2000',
    );
  });
});

describe('decideInvoice: invariants over random invoices and commands', () => {
  const facts = fc
    .record({
      state: fc.constantFrom(...INVOICE_STATES),
      amountDueMinor: fc.bigInt({ min: -100n, max: 100_000n }),
      amountPaidMinor: fc.bigInt({ min: 0n, max: 100_000n }),
      pendingAttemptId: fc.constantFrom(null, ATTEMPT, 'attempt-2'),
    })
    .map((f): InvoiceFacts => ({ ...f, amountDueMinor: f.state === 'draft' ? null : f.amountDueMinor }));
  const amount = fc.bigInt({ min: -10n, max: 200_000n });
  const command: fc.Arbitrary<InvoiceCommand> = fc.oneof(
    fc.record({ action: fc.constant('finalize' as const), actor: fc.constantFrom(...INVOICE_ACTORS), amountDueMinor: amount }),
    fc.record({
      action: fc.constantFrom('charge_started' as const, 'void' as const, 'mark_uncollectible' as const),
      actor: fc.constantFrom(...INVOICE_ACTORS),
    }),
    fc.record({
      action: fc.constant('charge_succeeded' as const),
      actor: fc.constantFrom(...INVOICE_ACTORS),
      attemptId: fc.constantFrom(ATTEMPT, 'attempt-2'),
      amountMinor: amount,
    }),
    fc.record({
      action: fc.constant('charge_declined' as const),
      actor: fc.constantFrom(...INVOICE_ACTORS),
      attemptId: fc.constantFrom(ATTEMPT, 'attempt-2'),
    }),
    fc.record({
      action: fc.constant('manual_payment' as const),
      actor: fc.constantFrom(...INVOICE_ACTORS),
      amountMinor: amount,
      overpayment: fc.constantFrom('refuse' as const, 'credit' as const),
    }),
  );

  it('received money is applied or credited, never lost; a void invoice is never paid; nothing is applied beyond what is owed', () => {
    fc.assert(
      fc.property(facts, command, (f, c) => {
        const d = decideInvoice(f, c);
        if (!d.ok) {
          expect(d.from).toBe(f.state);
          return;
        }
        const left = (f.amountDueMinor ?? 0n) - f.amountPaidMinor;
        const owed = left > 0n ? left : 0n;
        expect(d.appliedMinor).toBeGreaterThanOrEqual(0n);
        expect(d.creditMinor).toBeGreaterThanOrEqual(0n);
        expect(d.appliedMinor <= owed).toBe(true);
        if (c.action === 'charge_succeeded' || c.action === 'manual_payment') expect(d.appliedMinor + d.creditMinor).toBe(c.amountMinor);
        if (f.state === 'void') expect(d.to).toBe('void');
        if (d.to === 'paid' && f.state !== 'paid' && c.action !== 'finalize') expect(d.appliedMinor).toBe(owed);
        if (c.actor === 'customer') throw new Error('a customer changed an invoice');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tenant credit', () => {
  // One unscoped grant of `balance` over an invoice of one line totalling `total` (tax included).
  const creditToApply = (total: bigint, balance: bigint) => {
    const grant = { id: 'g', priority: 0, effectiveAt: new Date(0), expiresAt: null, appliesTo: null, remainingMinor: balance };
    return creditApplied(allocateBurns([grant], spreadTax([{ lineId: 'l', meter: null, amountMinor: total }], 0n), new Date(1)));
  };
  it('an invoice takes its credit after tax, up to its total, to the cent', () => {
    expect(creditToApply(12_499n, 3_007n)).toBe(3_007n);
    expect(creditToApply(12_499n, 20_000n)).toBe(12_499n);
    expect(creditToApply(0n, 3_007n)).toBe(0n);
    expect(creditToApply(-5n, 3_007n)).toBe(0n);
    expect(creditToApply(12_499n, 0n)).toBe(0n);
    expect(amountDue(12_499n, 3_007n)).toBe(9_492n);
  });
});
