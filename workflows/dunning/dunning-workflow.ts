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
import { PAYMENT_DECLINED } from '../../domain/billing/payment-failure.ts';
import {
  dunningStatusQuery,
  invoiceSettledSignal,
  invoiceUncollectibleSignal,
  paymentMethodUpdatedSignal,
  stopDunningSignal,
  subscriptionWorkflowId,
} from '../contract.ts';
import type { DunningInput, DunningResult } from '../contract.ts';

const DAY_MS = 86_400_000;

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
const WEBHOOKS_IN_WORKFLOW_TASK = 'dunning-webhooks-as-local-activities';
const paymentsInTask = proxyLocalActivities<Activities>(PAYMENTS_OPTIONS);

// Behind 'dunning-survives-outages': bookkeeping (PostgreSQL) is retried until it works, however
// long an outage lasts, because giving up would turn an outage into a decline. A gateway that
// keeps failing is bounded by the activity itself: it gives up with GatewayUnavailable, and the
// attempt is tried again later. (A gateway that hangs past the timeout is retried like an outage.)
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** How long an attempt the gateway did not answer waits before it is tried again. */
const GATEWAY_RETRY_MS = 3_600_000;

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
  const outageSafe = patched('dunning-survives-outages');
  const collect = outageSafe ? bookkeeping : payments;
  const started = Date.now();
  // Set while an attempt the gateway did not answer waits to be tried again.
  let retryAt: number | null = null;
  let attempts = 0;
  let retryNow = false;
  let stopped: 'paid' | 'void' | null = null;
  let next = 0;
  /** When the next attempt is due: a retry the gateway's silence asked for, else the schedule's next day. */
  const nextAttemptAt = () =>
    retryAt !== null
      ? new Date(retryAt).toISOString()
      : next < input.scheduleDays.length
        ? new Date(started + input.scheduleDays[next]! * DAY_MS).toISOString()
        : null;

  setHandler(paymentMethodUpdatedSignal, () => {
    retryNow = true;
  });
  setHandler(stopDunningSignal, ({ reason }) => {
    stopped = reason;
  });
  setHandler(dunningStatusQuery, () => ({
    invoiceId: input.invoiceId,
    attempts,
    nextAttemptAt: nextAttemptAt(),
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

  const emit = async (
    type: 'invoice.paid' | 'invoice.payment_failed' | 'invoice.uncollectible',
    id: string,
    data: Record<string, unknown>,
  ) => {
    const emitted = (patched(WEBHOOKS_IN_WORKFLOW_TASK) ? paymentsInTask : payments).emitWebhookEvent({
      id,
      type,
      tenantId: input.tenantId,
      occurredAt: new Date(Date.now()).toISOString(),
      data: { invoice: { invoiceId: input.invoiceId, subscriptionId: input.subscriptionId, ...data } },
    });
    if (!outageSafe) return void (await emitted);
    try {
      await emitted;
    } catch (err) {
      // A notification is not worth more than collecting the invoice: the money state is already
      // recorded, and the event can be replayed from it. (An activity's failure arrives as an
      // ActivityFailure, a local activity's as the failure it raised or its timeout: both are
      // TemporalFailures.)
      if (!(err instanceof TemporalFailure)) throw err;
      log.warn('webhook event not emitted', { invoiceId: input.invoiceId, eventId: id, error: String(err.cause ?? err) });
    }
  };

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

  while (next < input.scheduleDays.length || retryAt !== null) {
    const dueAt = retryAt ?? started + input.scheduleDays[next]! * DAY_MS;
    const wait = dueAt - Date.now();
    if (wait > 0 && !retryNow) await condition(() => retryNow || stopped !== null, wait);
    if (stopped !== null) {
      // A manual payment settled it: the same event id as a gateway success, so it is sent once.
      if (stopped === 'paid') await emit('invoice.paid', `invoice.paid:${input.invoiceId}`, { status: 'paid', attempt: null });
      return { invoiceId: input.invoiceId, outcome: 'stopped', attempts };
    }
    if (retryAt !== null) {
      // The same attempt again: the gateway never answered it.
      retryAt = null;
      retryNow = false;
    } else {
      if (retryNow) retryNow = false;
      else next += 1;
      attempts += 1;
    }
    try {
      const result = await collect.collectPayment({
        invoiceId: input.invoiceId,
        tenantId: input.tenantId,
        attempt: attempts,
        at: new Date(Date.now()).toISOString(),
      });
      if (result.outcome === 'succeeded' || result.invoiceStatus === 'paid') {
        await emit('invoice.paid', `invoice.paid:${input.invoiceId}`, { status: 'paid', attempt: attempts });
        await tell(invoiceSettledSignal);
        return { invoiceId: input.invoiceId, outcome: 'paid', attempts };
      }
      // Settled otherwise (void or uncollectible elsewhere): nothing left to collect.
      return { invoiceId: input.invoiceId, outcome: 'stopped', attempts };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const declined = err.cause instanceof ApplicationFailure && err.cause.type === PAYMENT_DECLINED;
      if (outageSafe && !declined) {
        log.warn('payment attempt not answered; trying it again later', {
          invoiceId: input.invoiceId,
          attempt: attempts,
          error: String(err.cause ?? err),
        });
        retryAt = Date.now() + GATEWAY_RETRY_MS;
        continue;
      }
      log.info(declined ? 'payment declined' : 'payment attempt failed', { invoiceId: input.invoiceId, attempt: attempts });
      await emit('invoice.payment_failed', `invoice.payment_failed:${input.invoiceId}:${attempts}`, {
        status: 'payment_failed',
        attempt: attempts,
        reason: declined ? err.cause.message : 'the payment gateway did not answer',
        nextAttemptAt: nextAttemptAt(),
      });
    }
  }

  const marked = await markUncollectible();
  // Patch 'dunning-uncollectible-only-when-marked' (deploy/README.md, "patched(), step by step":
  // retire at step 5 once step 4 counts no dunning run started before its deploy). The invoice
  // may have been settled meanwhile: a pending charge reconciled as paid, or a manual payment or
  // void between the last attempt and this step. Only an invoice that is uncollectible is said to be.
  if (patched('dunning-uncollectible-only-when-marked') && marked.invoiceStatus !== 'uncollectible') {
    if (marked.invoiceStatus === 'paid') {
      await emit('invoice.paid', `invoice.paid:${input.invoiceId}`, { status: 'paid', attempt: null });
      await tell(invoiceSettledSignal);
      return { invoiceId: input.invoiceId, outcome: 'paid', attempts };
    }
    return { invoiceId: input.invoiceId, outcome: 'stopped', attempts };
  }
  await emit('invoice.uncollectible', `invoice.uncollectible:${input.invoiceId}`, { status: 'uncollectible', attempts });
  await tell(invoiceUncollectibleSignal);
  return { invoiceId: input.invoiceId, outcome: 'uncollectible', attempts };
}
