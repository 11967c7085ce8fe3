import type { GatewayAnswer } from '../../domain/billing/payment-failure.ts';

// Dunning's decisions as plain functions of its progress and an instant (unit-tested). The
// workflow waits, calls activities and applies them. No I/O, no clock: every instant is passed in.

/** Days after dunning starts at which it tries to collect, unless the subscription names its own. */
export const DEFAULT_DUNNING_SCHEDULE_DAYS = [0, 3, 5, 7] as const;

const DAY_MS = 86_400_000;
/** How long an attempt the gateway did not answer waits before it is tried again. */
export const GATEWAY_RETRY_MS = 3_600_000;

/** Where dunning stands: instants in ms since the epoch. */
export type DunningProgress = {
  /** When dunning started: the schedule's days count from here. */
  started: number;
  scheduleDays: readonly number[];
  /** The index of the next scheduled attempt. */
  next: number;
  /** Attempts made so far; an attempt tried again because the gateway did not answer counts once. */
  attempts: number;
  /** Set while an attempt the gateway did not answer waits to be tried again. */
  retryAt: number | null;
  /** The customer updated their payment method: the next attempt is due now. */
  retryNow: boolean;
};

export const startDunning = (started: number, scheduleDays: readonly number[]): DunningProgress => ({
  started,
  scheduleDays,
  next: 0,
  attempts: 0,
  retryAt: null,
  retryNow: false,
});

/** True while an attempt remains: a scheduled one, or one the gateway did not answer. */
export const attemptsLeft = (p: DunningProgress): boolean => p.next < p.scheduleDays.length || p.retryAt !== null;

/** When the next attempt is due (while attemptsLeft): a retry the gateway's silence asked for, else the schedule's next day. */
export const attemptDueAt = (p: DunningProgress): number => p.retryAt ?? p.started + p.scheduleDays[p.next]! * DAY_MS;

/** The next attempt's instant as the status query and the payment_failed event report it; null when none is left. */
export const nextAttemptAt = (p: DunningProgress): string | null =>
  p.retryAt !== null
    ? new Date(p.retryAt).toISOString()
    : p.next < p.scheduleDays.length
      ? new Date(p.started + p.scheduleDays[p.next]! * DAY_MS).toISOString()
      : null;

/**
 * Starts the attempt that is due. After the gateway's silence it is the same attempt again (same
 * number, so the same idempotency key). Otherwise a new attempt: one asked for by a payment
 * method update comes on top of the schedule, which keeps its next day; a scheduled one uses it.
 */
export function beginAttempt(p: DunningProgress): void {
  if (p.retryAt !== null) {
    p.retryAt = null;
    p.retryNow = false;
    return;
  }
  if (p.retryNow) p.retryNow = false;
  else p.next += 1;
  p.attempts += 1;
}

/** The gateway did not answer the current attempt at `now`: it is tried again GATEWAY_RETRY_MS later. */
export function attemptUnanswered(p: DunningProgress, now: number): void {
  p.retryAt = now + GATEWAY_RETRY_MS;
}

/** An attempt that did not fail: paid when it collected or found the invoice paid, else settled some other way (void). */
export const attemptOutcome = (r: { outcome: string; invoiceStatus: string }): 'paid' | 'stopped' =>
  r.outcome === 'succeeded' || r.invoiceStatus === 'paid' ? 'paid' : 'stopped';

/**
 * After the last decline, what marking the invoice uncollectible found: uncollectible, or settled
 * in the meantime (a pending charge reconciled as paid, a manual payment or a void).
 */
export const markedOutcome = (invoiceStatus: string): 'paid' | 'stopped' | 'uncollectible' =>
  invoiceStatus === 'uncollectible' ? 'uncollectible' : invoiceStatus === 'paid' ? 'paid' : 'stopped';

/**
 * How long a charge the gateway answered pending (3-D Secure, a bank debit) waits for its
 * webhook. Then the gateway is asked, and a charge still pending is canceled and counts as a
 * decline. Three days: a customer asked to authenticate has had the provider's email, and most
 * bank debits have settled; the schedule's next attempt is due at once if its day has passed.
 */
export const PENDING_CHARGE_TIMEOUT_MS = 3 * DAY_MS;

/** The provider's answers by idempotency key, as the webhook signals bring them (in any order, possibly twice). */
export type GatewayAnswers = Map<string, GatewayAnswer>;

/** Keeps a webhook's answer: a final one (succeeded, declined) is never replaced by a later requires_action. */
export function noteAnswer(answers: GatewayAnswers, answer: GatewayAnswer): void {
  const known = answers.get(answer.idempotencyKey);
  if (known && finalAnswer(known) && !finalAnswer(answer)) return;
  answers.set(answer.idempotencyKey, answer);
}

/** True once the webhook said how the charge ended. */
export const finalAnswer = (answer: GatewayAnswer | undefined): answer is GatewayAnswer =>
  answer !== undefined && answer.outcome !== 'requires_action';
