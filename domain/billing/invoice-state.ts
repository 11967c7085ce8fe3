/**
 * The invoice state machine: every change of an invoice's status, and every amount received
 * against it, is decided here. Writers (finalization, the charge of a dunning attempt, a manual
 * payment, a void, the end of dunning) describe the invoice as they found it under its row lock,
 * ask `decideInvoice`, and write the decision with the expected status in the WHERE clause, so a
 * concurrent change makes the write fail instead of being overwritten.
 *
 * A pending gateway attempt is a lock: while one is in flight, nothing but its own outcome may
 * change the invoice, because the money may already have moved at the gateway. Money that
 * arrives where nothing is owed (an invoice already paid or void) is never dropped: the decision
 * says how much of it becomes credit for the tenant.
 */

export const INVOICE_STATES = ['draft', 'finalized', 'payment_failed', 'paid', 'uncollectible', 'void'] as const;
export type InvoiceState = (typeof INVOICE_STATES)[number];

export const INVOICE_ACTIONS = [
  'finalize',
  'charge_started',
  'charge_succeeded',
  'charge_declined',
  'manual_payment',
  'void',
  'mark_uncollectible',
] as const;
export type InvoiceAction = (typeof INVOICE_ACTIONS)[number];

/** Who asks: the billing worker (subscription and dunning workflows), or a signed-in user by role. */
export const INVOICE_ACTORS = ['system', 'admin', 'finance', 'customer'] as const;
export type InvoiceActor = (typeof INVOICE_ACTORS)[number];

/** What to do with the part of a manual payment beyond what the invoice still owes. */
export type Overpayment = 'refuse' | 'credit';

/** The invoice as the writer found it, locked. Amounts are minor units of its currency. */
export type InvoiceFacts = {
  state: InvoiceState;
  /** total − creditApplied; null while draft. */
  amountDueMinor: bigint | null;
  amountPaidMinor: bigint;
  /** The id of the gateway attempt in flight, if any. */
  pendingAttemptId: string | null;
};

export type InvoiceCommand =
  /** `amountDueMinor`: what the finalized invoice will ask for (total − credit applied). */
  | { action: 'finalize'; actor: InvoiceActor; amountDueMinor: bigint }
  | { action: 'charge_started'; actor: InvoiceActor }
  | { action: 'charge_succeeded'; actor: InvoiceActor; attemptId: string; amountMinor: bigint }
  | { action: 'charge_declined'; actor: InvoiceActor; attemptId: string }
  | { action: 'manual_payment'; actor: InvoiceActor; amountMinor: bigint; overpayment: Overpayment }
  | { action: 'void'; actor: InvoiceActor }
  | { action: 'mark_uncollectible'; actor: InvoiceActor };

export type InvoiceTransition = {
  ok: true;
  action: InvoiceAction;
  from: InvoiceState;
  to: InvoiceState;
  /** Added to the invoice's amount paid. */
  appliedMinor: bigint;
  /** Received but not owed: becomes the tenant's credit. */
  creditMinor: bigint;
};

export const REFUSAL_CODES = [
  'not_permitted',
  'not_in_state',
  'charge_pending',
  'nothing_due',
  'already_paid',
  'exceeds_amount_due',
  'invalid_amount',
  'not_the_pending_attempt',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export type InvoiceRefusal = {
  ok: false;
  action: InvoiceAction;
  from: InvoiceState;
  code: RefusalCode;
  message: string;
  /** charge_pending: the attempt in flight. */
  pendingAttemptId?: string;
  /** exceeds_amount_due: what the invoice still owes. */
  remainingMinor?: bigint;
};

export type InvoiceDecision = InvoiceTransition | InvoiceRefusal;

type Rule = {
  actors: readonly InvoiceActor[];
  /** The states the action applies in; elsewhere it is refused with not_in_state. */
  from: readonly InvoiceState[];
  /** Refused while a gateway attempt is pending. */
  waitsForPendingCharge: boolean;
};

const OPEN = ['finalized', 'payment_failed'] as const;
const OWING = ['finalized', 'payment_failed', 'uncollectible'] as const;
const FINANCE = ['admin', 'finance'] as const;

/**
 * Who may do what, from where. The outcome within these states is decided per action below.
 * - A charge starts only on an open invoice (finalized or payment_failed) with something due.
 * - Its outcome is recorded in any state after finalization: a success applied where something
 *   is owed, and credited where nothing is (paid, void); a decline changes only an open invoice.
 * - Finance records payments on owing invoices (uncollectible included) and on paid ones when
 *   the money is to become credit; voids only open invoices.
 */
export const INVOICE_RULES: { readonly [A in InvoiceAction]: Rule } = {
  finalize: { actors: ['system'], from: ['draft'], waitsForPendingCharge: false },
  charge_started: { actors: ['system'], from: OPEN, waitsForPendingCharge: true },
  charge_succeeded: {
    actors: ['system'],
    from: ['finalized', 'payment_failed', 'uncollectible', 'paid', 'void'],
    waitsForPendingCharge: false,
  },
  charge_declined: {
    actors: ['system'],
    from: ['finalized', 'payment_failed', 'uncollectible', 'paid', 'void'],
    waitsForPendingCharge: false,
  },
  manual_payment: { actors: FINANCE, from: [...OWING, 'paid'], waitsForPendingCharge: true },
  void: { actors: FINANCE, from: OPEN, waitsForPendingCharge: true },
  mark_uncollectible: { actors: ['system'], from: OPEN, waitsForPendingCharge: true },
};

const owing = (state: InvoiceState) => (OWING as readonly InvoiceState[]).includes(state);

/** What the invoice still owes (never below zero). */
export function remainingMinor(facts: InvoiceFacts): bigint {
  const left = (facts.amountDueMinor ?? 0n) - facts.amountPaidMinor;
  return left > 0n ? left : 0n;
}

/** The next state of an invoice under a command, or why not. Pure: the caller writes the result. */
export function decideInvoice(facts: InvoiceFacts, command: InvoiceCommand): InvoiceDecision {
  const { action } = command;
  const from = facts.state;
  const rule = INVOICE_RULES[action];
  const refuse = (code: RefusalCode, message: string, extra: Partial<InvoiceRefusal> = {}): InvoiceRefusal => ({
    ok: false,
    action,
    from,
    code,
    message,
    ...extra,
  });
  const to = (next: InvoiceState, appliedMinor = 0n, creditMinor = 0n): InvoiceTransition => ({
    ok: true,
    action,
    from,
    to: next,
    appliedMinor,
    creditMinor,
  });

  if (!rule.actors.includes(command.actor))
    return refuse('not_permitted', `the ${command.actor} role may not ${action.replaceAll('_', ' ')} (invoice)`);
  if (!rule.from.includes(from)) return refuse('not_in_state', `an invoice that is ${from} cannot be ${participle(action)}`);
  if (rule.waitsForPendingCharge && facts.pendingAttemptId !== null) {
    return refuse(
      'charge_pending',
      `a payment attempt (${facts.pendingAttemptId}) is in flight at the gateway; try again once it has an outcome`,
      { pendingAttemptId: facts.pendingAttemptId },
    );
  }
  const left = remainingMinor(facts);

  switch (command.action) {
    case 'finalize':
      // Nothing to collect (a total of zero or less, or covered by credit): paid on issue.
      return to(command.amountDueMinor > 0n ? 'finalized' : 'paid');
    case 'charge_started':
      return left > 0n ? to(from) : refuse('nothing_due', 'the invoice owes nothing');
    case 'charge_succeeded': {
      if (facts.pendingAttemptId !== command.attemptId)
        return refuse('not_the_pending_attempt', `attempt ${command.attemptId} is not the one in flight`);
      if (command.amountMinor <= 0n) return refuse('invalid_amount', 'a charge collects more than zero');
      return receive(command.amountMinor, left, 'credit');
    }
    case 'charge_declined':
      if (facts.pendingAttemptId !== command.attemptId)
        return refuse('not_the_pending_attempt', `attempt ${command.attemptId} is not the one in flight`);
      return to((OPEN as readonly InvoiceState[]).includes(from) ? 'payment_failed' : from);
    case 'manual_payment':
      if (command.amountMinor <= 0n) return refuse('invalid_amount', 'must be greater than 0');
      if (from === 'paid' && command.overpayment === 'refuse') {
        return refuse(
          'already_paid',
          'the invoice is already paid; to keep this money as credit for the tenant, send overpayment: "credit"',
        );
      }
      if (command.amountMinor > left && command.overpayment === 'refuse') {
        return refuse('exceeds_amount_due', 'is more than the amount due', { remainingMinor: left });
      }
      return receive(command.amountMinor, left, command.overpayment);
    case 'void':
      // Money already received for a voided invoice is no longer owed to us: it becomes credit.
      return to('void', 0n, facts.amountPaidMinor);
    case 'mark_uncollectible':
      return to('uncollectible');
  }

  /** Applies what is owed and credits the rest; an owing invoice that is fully paid is paid. */
  function receive(amountMinor: bigint, owed: bigint, overpayment: Overpayment): InvoiceDecision {
    if (!owing(from)) return to(from, 0n, amountMinor);
    const applied = amountMinor < owed ? amountMinor : owed;
    const excess = amountMinor - applied;
    if (excess > 0n && overpayment === 'refuse')
      return refuse('exceeds_amount_due', 'is more than the amount due', { remainingMinor: owed });
    return to(applied === owed ? 'paid' : from, applied, excess);
  }
}

function participle(action: InvoiceAction): string {
  const words: Record<InvoiceAction, string> = {
    finalize: 'finalized',
    charge_started: 'charged',
    charge_succeeded: 'paid by a charge',
    charge_declined: 'declined',
    manual_payment: 'paid manually',
    void: 'voided',
    mark_uncollectible: 'marked uncollectible',
  };
  return words[action];
}
