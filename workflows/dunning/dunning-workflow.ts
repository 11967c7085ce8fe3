import {
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import { PAYMENT_DECLINED, paymentIdempotencyKey } from '../../domain/billing/payment-failure.ts';
import { invoiceEvent, paymentFailedEvent, type WebhookEvent } from '../../domain/webhooks/events.ts';
import {
  dunningStatusQuery,
  gatewayAnswerSignal,
  invoiceSettledSignal,
  invoiceUncollectibleSignal,
  paymentMethodUpdatedSignal,
  stopDunningSignal,
  subscriptionWorkflowId,
} from '../contract.ts';
import type { DunningInput, DunningResult } from '../contract.ts';
import {
  GATEWAY_RETRY_MS,
  PENDING_CHARGE_TIMEOUT_MS,
  attemptDueAt,
  finalAnswer,
  noteAnswer,
  type GatewayAnswers,
  attemptOutcome,
  attemptUnanswered,
  attemptsLeft,
  beginAttempt,
  markedOutcome,
  nextAttemptAt,
  startDunning,
} from './schedule.ts';
import { SURVIVES_OUTAGES, UNCOLLECTIBLE_ONLY_WHEN_MARKED, WAITS_FOR_GATEWAY_WEBHOOKS, WEBHOOKS_IN_WORKFLOW_TASK } from './patches.ts';

// A decline is a non-retryable failure of one attempt. Before 'dunning-survives-outages', gateway
// and PostgreSQL outages were retried here 10 times, and an attempt that still failed was treated
// like a decline: the schedule decided what followed. Runs started before that patch keep this.
const PAYMENTS_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
} as const;
const payments = proxyActivities<Activities>(PAYMENTS_OPTIONS);

// Patch 'dunning-webhooks-as-local-activities' (deploy/README.md, "patched(), step by step";
// retire at step 5): the webhook events run as local activities, in the workflow task, with the
// same timeout and attempts, so the server records their results instead of scheduling a task
// for each (the subscription workflow does the same with its bookkeeping steps). Emitting is
// idempotent per event id, so a crash that repeats one sends it once. Asked before each emit;
// before it, each was an activity.
const paymentsInTask = proxyLocalActivities<Activities>(PAYMENTS_OPTIONS);

// Behind 'dunning-survives-outages': bookkeeping (PostgreSQL) is retried until it works, however
// long an outage lasts, because giving up would turn an outage into a decline. A gateway that
// keeps failing is bounded by the activity itself: it gives up with GatewayUnavailable, and the
// attempt is tried again later. (A gateway that hangs past the timeout is retried like an outage.)
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * Collects one invoice (workflow ID dunning-<invoiceId>): an attempt at each offset of the
 * schedule (days after dunning starts; default 0, 3, 5, 7), each a workflow timer. A success marks
 * the invoice paid. After the last attempt is declined, the invoice is uncollectible and the
 * subscription goes past_due. A `paymentMethodUpdated` signal tries again at once (the schedule
 * continues afterwards); `stopDunning` (a manual payment or a void) ends it.
 */
export async function dunningWorkflow(input: DunningInput): Promise<DunningResult> {
  // Patch 'dunning-survives-outages' (deploy/README.md, "patched(), step by step"): only a
  // gateway decline counts as a decline; an attempt the gateway did not answer is tried again
  // (same attempt number, so the same idempotency key) an hour later, without limit; bookkeeping
  // is retried without limit; a webhook that cannot be emitted is logged and dunning goes on.
  // Decided once, at the start, so that a run keeps one behaviour from its first to last step.
  const outageSafe = patched(SURVIVES_OUTAGES);
  // Patch WAITS_FOR_GATEWAY_WEBHOOKS (patches.ts): a pending charge waits for its webhook.
  const waitsForWebhooks = patched(WAITS_FOR_GATEWAY_WEBHOOKS);
  const answers: GatewayAnswers = new Map();
  const collect = outageSafe ? bookkeeping : payments;
  const p = startDunning(Date.now(), input.scheduleDays);
  let stopped: 'paid' | 'void' | null = null;

  setHandler(paymentMethodUpdatedSignal, () => {
    p.retryNow = true;
  });
  setHandler(gatewayAnswerSignal, (answer) => noteAnswer(answers, answer));
  setHandler(stopDunningSignal, ({ reason }) => {
    stopped = reason;
  });
  setHandler(dunningStatusQuery, () => ({
    invoiceId: input.invoiceId,
    attempts: p.attempts,
    nextAttemptAt: nextAttemptAt(p),
    outcome: null,
  }));

  const subscription = getExternalWorkflowHandle(subscriptionWorkflowId(input.subscriptionId));
  const tell = async (signal: typeof invoiceSettledSignal | typeof invoiceUncollectibleSignal) => {
    try {
      await subscription.signal(signal, { invoiceId: input.invoiceId });
    } catch (err) {
      // The subscription has ended (canceled): its status no longer changes.
      log.info('subscription workflow did not take the signal', { invoiceId: input.invoiceId, error: String(err) });
    }
  };

  // The events' invoice: this one, with what the event says of it.
  const event = <T extends Record<string, unknown>>(data: T) => ({
    tenantId: input.tenantId,
    occurredAt: new Date(Date.now()).toISOString(),
    invoice: { invoiceId: input.invoiceId, subscriptionId: input.subscriptionId, ...data },
  });
  // A gateway success and a manual payment share the event id, so the payment is announced once.
  const paidEvent = (attempt: number | null) => invoiceEvent('invoice.paid', event({ status: 'paid', attempt }));
  const done = (outcome: DunningResult['outcome']): DunningResult => ({ invoiceId: input.invoiceId, outcome, attempts: p.attempts });

  const emit = async (event: WebhookEvent) => {
    const emitted = (patched(WEBHOOKS_IN_WORKFLOW_TASK) ? paymentsInTask : payments).emitWebhookEvent(event);
    if (!outageSafe) return void (await emitted);
    try {
      await emitted;
    } catch (err) {
      // A notification is not worth more than collecting the invoice: the money state is already
      // recorded, and the event can be replayed from it. (An activity's failure arrives as an
      // ActivityFailure, a local activity's as the failure it raised or its timeout: both are
      // TemporalFailures.)
      if (!(err instanceof TemporalFailure)) throw err;
      log.warn('webhook event not emitted', { invoiceId: input.invoiceId, eventId: event.id, error: String(err.cause ?? err) });
    }
  };

  const paymentFailed = (reason: string) =>
    emit(paymentFailedEvent(event({ status: 'payment_failed', attempt: p.attempts, reason, nextAttemptAt: nextAttemptAt(p) })));

  // A pending attempt found here is reconciled with the gateway first; if the gateway does not
  // answer, the invoice is neither paid nor uncollectible yet, so this is tried again later.
  const markUncollectible = async () => {
    for (;;) {
      try {
        return await collect.markInvoiceUncollectible({ invoiceId: input.invoiceId, tenantId: input.tenantId });
      } catch (err) {
        if (!outageSafe || !(err instanceof ActivityFailure)) throw err;
        log.warn('invoice not marked uncollectible yet; trying again later', {
          invoiceId: input.invoiceId,
          error: String(err.cause ?? err),
        });
        await sleep(GATEWAY_RETRY_MS);
      }
    }
  };

  while (attemptsLeft(p)) {
    const wait = attemptDueAt(p) - Date.now();
    if (wait > 0 && !p.retryNow) await condition(() => p.retryNow || stopped !== null, wait);
    if (stopped !== null) {
      if (stopped === 'paid') await emit(paidEvent(null));
      return done('stopped');
    }
    beginAttempt(p);
    try {
      const result = await collect.collectPayment({
        invoiceId: input.invoiceId,
        tenantId: input.tenantId,
        attempt: p.attempts,
        at: new Date(Date.now()).toISOString(),
        ...(waitsForWebhooks ? { awaitsWebhook: true } : {}),
      });
      if (result.outcome === 'pending') {
        // The webhook may have come before the answer did: it is in `answers` already.
        const key = paymentIdempotencyKey(input.invoiceId, result.attempt);
        await condition(() => finalAnswer(answers.get(key)), PENDING_CHARGE_TIMEOUT_MS);
        const answer = answers.get(key);
        const settled = await collect.settlePendingPayment({
          invoiceId: input.invoiceId,
          tenantId: input.tenantId,
          attempt: result.attempt,
          answer: finalAnswer(answer) ? answer : null,
          at: new Date(Date.now()).toISOString(),
        });
        if (settled.outcome === 'declined') {
          log.info('pending payment declined', { invoiceId: input.invoiceId, attempt: result.attempt, timedOut: !finalAnswer(answer) });
          await paymentFailed(settled.reason ?? 'declined');
          continue;
        }
      }
      if (attemptOutcome(result) === 'paid' || result.outcome === 'pending') {
        await emit(paidEvent(p.attempts));
        await tell(invoiceSettledSignal);
        return done('paid');
      }
      // Settled otherwise (void or uncollectible elsewhere): nothing left to collect.
      return done('stopped');
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const declined = err.cause instanceof ApplicationFailure && err.cause.type === PAYMENT_DECLINED;
      if (outageSafe && !declined) {
        log.warn('payment attempt not answered; trying it again later', {
          invoiceId: input.invoiceId,
          attempt: p.attempts,
          error: String(err.cause ?? err),
        });
        attemptUnanswered(p, Date.now());
        continue;
      }
      log.info(declined ? 'payment declined' : 'payment attempt failed', { invoiceId: input.invoiceId, attempt: p.attempts });
      await paymentFailed(declined ? err.cause.message : 'the payment gateway did not answer');
    }
  }

  const marked = await markUncollectible();
  // Patch 'dunning-uncollectible-only-when-marked' (deploy/README.md, "patched(), step by step":
  // retire at step 5 once step 4 counts no dunning run started before its deploy). The invoice
  // may have been settled meanwhile: a pending charge reconciled as paid, or a manual payment or
  // void between the last attempt and this step. Only an invoice that is uncollectible is said to be.
  const outcome = patched(UNCOLLECTIBLE_ONLY_WHEN_MARKED) ? markedOutcome(marked.invoiceStatus) : 'uncollectible';
  if (outcome === 'paid') {
    await emit(paidEvent(null));
    await tell(invoiceSettledSignal);
    return done('paid');
  }
  if (outcome === 'stopped') return done('stopped');
  await emit(invoiceEvent('invoice.uncollectible', event({ status: 'uncollectible', attempts: p.attempts })));
  await tell(invoiceUncollectibleSignal);
  return done('uncollectible');
}
