import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { ActivityDeps } from '../deps.ts';
import { withTenant, type Tx } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository, type InvoiceRow, type InvoiceStatus } from '../../db/postgres/invoices-repository.ts';
import { paymentsRepository, type PaymentAttemptRow } from '../../db/postgres/payments-repository.ts';
import { invoiceFacts, writeInvoiceDecision } from '../../db/postgres/invoice-decisions.ts';
import { createBuiltinGateway } from './builtin-gateway.ts';
import { raiseAlert } from '../alerts/raise-alert.ts';
import { createWebhookActivities } from '../webhooks/webhook-activities.ts';
import { formatAmount, fromMinorUnits } from '../../domain/money/index.ts';
import { alertCreatedEvent } from '../../domain/webhooks/events.ts';
import {
  GATEWAY_TRIES_PER_ATTEMPT,
  GATEWAY_UNAVAILABLE,
  PAYMENT_DECLINED,
  PAYMENT_PENDING,
  decideInvoice,
  remainingMinor,
} from '../../domain/billing/index.ts';
import { paymentIdempotencyKey, type GatewayAnswer } from '../../domain/billing/payment-failure.ts';
import type { ChargeResult, FinalChargeResult, PaymentGateway } from './gateway.ts';

/**
 * What an attempt came to. `pending` (only for a caller that waits for webhooks): the gateway
 * took the charge and tells its outcome later; `attempt` and `reference` name the charge awaited
 * (an earlier attempt, when that is the one still pending).
 */
export type CollectResult =
  | { outcome: 'succeeded' | 'settled'; invoiceStatus: string; attempt: number }
  | { outcome: 'pending'; invoiceStatus: string; attempt: number; reference: string };

/** What a pending charge came to, once its webhook came or its wait ended. */
export type SettleResult = { outcome: 'succeeded' | 'declined'; invoiceStatus: string; reason: string | null };

export { paymentIdempotencyKey };

/**
 * What the first transaction of a charge found, under the invoice's row lock:
 * - settled: the invoice takes no charge (paid, void, uncollectible, nothing due);
 * - recorded: this attempt already has its outcome (the activity is re-run after it was recorded);
 * - reconcile: an attempt is pending (this one, left by a worker that died, or an earlier one):
 *   its outcome must be settled with the gateway before anything else;
 * - charge: a new pending attempt, the invoice's lock until its outcome is recorded.
 */
type Start =
  | { kind: 'settled'; status: InvoiceStatus }
  | { kind: 'recorded'; attempt: PaymentAttemptRow; status: InvoiceStatus }
  | { kind: 'reconcile' | 'charge'; attempt: PaymentAttemptRow; currency: string; status: InvoiceStatus };

/** Which execution of the activity this is (1 when called outside a worker, as tests do). */
function executionNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * A gateway error is retried by the activity's retry policy; once an attempt has seen it through
 * GATEWAY_TRIES_PER_ATTEMPT executions, it gives up as GatewayUnavailable, which is not a decline:
 * the card was never asked, and dunning tries the same attempt again later.
 */
async function gatewayCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApplicationFailure || executionNumber() < GATEWAY_TRIES_PER_ATTEMPT) throw err;
    throw ApplicationFailure.create({
      type: GATEWAY_UNAVAILABLE,
      message: `the payment gateway did not answer: ${String(err)}`,
      nonRetryable: true,
      cause: err instanceof Error ? err : undefined,
    });
  }
}

const notFound = (invoiceId: string) => ApplicationFailure.nonRetryable(`invoice ${invoiceId} not found`, 'InvoiceNotFound');

async function lockInvoice(tx: Tx, invoiceId: string): Promise<InvoiceRow> {
  const invoice = await invoicesRepository.lockById(tx, invoiceId);
  if (!invoice) throw notFound(invoiceId);
  return invoice;
}

export function createPaymentActivities(deps: ActivityDeps) {
  const { pg } = deps;
  const gateways: Readonly<Record<string, PaymentGateway>> = { builtin: createBuiltinGateway(pg), ...deps.paymentGateways };
  const webhooks = createWebhookActivities(deps);

  const gatewayOf = (name: string) => {
    const gateway = gateways[name];
    if (!gateway) throw ApplicationFailure.nonRetryable(`payment gateway ${name} is not configured`, 'NoGateway');
    return gateway;
  };

  /** Transaction 1 of a charge: lock the invoice, then find or take the lock of an attempt. */
  function start(input: { invoiceId: string; tenantId: string; attempt: number }): Promise<Start> {
    return withTenant(pg, input.tenantId, async (tx): Promise<Start> => {
      const invoice = await lockInvoice(tx, input.invoiceId);
      const own = await paymentsRepository.attemptOf(tx, input.invoiceId, input.attempt);
      if (own && own.status !== 'pending') return { kind: 'recorded', attempt: own, status: invoice.status };
      const pending = await paymentsRepository.pendingAttempt(tx, input.invoiceId);
      if (pending) return { kind: 'reconcile', attempt: pending, currency: invoice.currency, status: invoice.status };
      const decision = decideInvoice(invoiceFacts(invoice, null), { action: 'charge_started', actor: 'system' });
      if (!decision.ok) return { kind: 'settled', status: invoice.status };
      const settings = await paymentsRepository.settings(tx, input.tenantId);
      const attempt = await paymentsRepository.insertPendingAttempt(tx, {
        tenantId: input.tenantId,
        invoiceId: input.invoiceId,
        attempt: input.attempt,
        idempotencyKey: paymentIdempotencyKey(input.invoiceId, input.attempt),
        gateway: settings?.gateway ?? 'builtin',
        amountMinor: remainingMinor(invoiceFacts(invoice, null)),
      });
      return { kind: 'charge', attempt, currency: invoice.currency, status: invoice.status };
    });
  }

  /**
   * Asks the gateway, by the attempt's idempotency key. A pending attempt found again is first
   * looked up: if the gateway answered it (the worker died before recording the answer), that
   * answer is the outcome, and nothing is charged. If the gateway never received it, it is sent
   * now, with the same key, so it can still be charged only once.
   */
  async function ask(attempt: PaymentAttemptRow, currency: string, reconcile: boolean): Promise<ChargeResult> {
    const gateway = gatewayOf(attempt.gateway);
    if (reconcile) {
      const known = await gatewayCall(() =>
        gateway.outcome({ tenantId: attempt.tenant_id, idempotencyKey: attempt.idempotency_key, reference: attempt.gateway_reference }),
      );
      if (known) return known;
    }
    return gatewayCall(() =>
      gateway.charge({
        idempotencyKey: attempt.idempotency_key,
        tenantId: attempt.tenant_id,
        invoiceId: attempt.invoice_id,
        amountMinor: attempt.amount_minor,
        currency,
      }),
    );
  }

  /**
   * Transaction 2: records the outcome through the state machine (once: an attempt recorded
   * meanwhile by another execution is left as it is). A success is a payment; what the invoice
   * no longer owed becomes tenant credit.
   */
  function record(attempt: PaymentAttemptRow, result: FinalChargeResult, at: Date): Promise<InvoiceStatus> {
    return withTenant(pg, attempt.tenant_id, async (tx) => {
      const invoice = await lockInvoice(tx, attempt.invoice_id);
      const current = await paymentsRepository.attemptById(tx, attempt.id);
      if (current.status !== 'pending') return invoice.status;
      const facts = invoiceFacts(invoice, current);
      const decision =
        result.outcome === 'succeeded'
          ? decideInvoice(facts, { action: 'charge_succeeded', actor: 'system', attemptId: current.id, amountMinor: current.amount_minor })
          : decideInvoice(facts, { action: 'charge_declined', actor: 'system', attemptId: current.id });
      // Cannot happen for an attempt that is pending on a finalized invoice; never write around it.
      if (!decision.ok) throw ApplicationFailure.nonRetryable(`attempt ${current.id}: ${decision.message}`, 'InvoiceStateRefused');
      await paymentsRepository.completeAttempt(tx, current.id, {
        status: result.outcome,
        reference: result.reference,
        failureReason: result.outcome === 'declined' ? result.reason : undefined,
        at,
      });
      const received =
        result.outcome === 'succeeded'
          ? { method: 'gateway' as const, amountMinor: current.amount_minor, reference: result.reference, attemptId: current.id }
          : undefined;
      return (await writeInvoiceDecision(tx, invoice, decision, { at, received })).invoice.status;
    });
  }

  /** A charge answered pending keeps its attempt pending (the invoice's lock) and gets the provider's reference. */
  function awaitWebhook(attempt: PaymentAttemptRow, reference: string): Promise<PaymentAttemptRow> {
    return withTenant(pg, attempt.tenant_id, (tx) => paymentsRepository.markAttemptAwaiting(tx, attempt.id, reference));
  }

  /**
   * The final outcome of a charge that was pending and whose wait is over: asked of the gateway,
   * and if it is still pending, canceled there, so that it cannot collect after dunning moved on
   * (the cancel answers the outcome it reached first, if any). Still pending after that (a bank
   * debit that can no longer be canceled): thrown, retried until it is final.
   */
  async function finalOutcome(attempt: PaymentAttemptRow, currency: string): Promise<FinalChargeResult> {
    let result = await ask(attempt, currency, true);
    if (result.outcome === 'pending') {
      await awaitWebhook(attempt, result.reference);
      const gateway = gatewayOf(attempt.gateway);
      const reference = result.reference;
      if (gateway.cancel)
        result = await gatewayCall(() =>
          gateway.cancel!({ tenantId: attempt.tenant_id, idempotencyKey: attempt.idempotency_key, reference }),
        );
    }
    if (result.outcome === 'pending') throw new Error(`attempt ${attempt.idempotency_key} is still pending at its gateway; asking again`);
    return result;
  }

  /** Settles a pending attempt found by `markInvoiceUncollectible`; returns the invoice's status. */
  async function reconcile(attempt: PaymentAttemptRow, currency: string, at: Date): Promise<InvoiceStatus> {
    return record(attempt, await finalOutcome(attempt, currency), at);
  }

  // Before 'dunning-waits-for-gateway-webhooks' a run cannot wait for a webhook: to it a pending
  // charge is an attempt not answered yet, tried (reconciled) again later.
  const pendingFailure = (attempt: number, reference: string) =>
    ApplicationFailure.create({
      type: PAYMENT_PENDING,
      message: `attempt ${attempt} is pending at the gateway (${reference})`,
      nonRetryable: true,
      category: ApplicationFailureCategory.BENIGN,
    });

  const declinedFailure = (attempt: number, reason: string) =>
    // BENIGN: a decline is an expected business outcome, not an error worth logging as one.
    ApplicationFailure.create({
      type: PAYMENT_DECLINED,
      message: `attempt ${attempt} declined: ${reason}`,
      nonRetryable: true,
      category: ApplicationFailureCategory.BENIGN,
    });

  return {
    /**
     * One collection attempt of what an invoice still owes (its amount due less what was paid).
     * Idempotent per (invoice, attempt): the attempt row and the gateway's idempotency key make a
     * retried or re-run activity answer with the first outcome. A decline is recorded, moves an
     * open invoice to payment_failed, and fails non-retryably (PaymentDeclined); gateway errors
     * are thrown and retried, and after GATEWAY_TRIES_PER_ATTEMPT executions fail non-retryably
     * as GatewayUnavailable (the attempt stays pending and is reconciled when it is tried again).
     * Bookkeeping errors (PostgreSQL) are always thrown as retryable. An invoice that is already paid, void or uncollectible is
     * 'settled': nothing is charged.
     *
     * The pending attempt is the invoice's lock: while it is in flight, manual payments and voids
     * are refused. If one is found pending (a worker died between the charge and its record, or
     * an earlier attempt gave up), it is reconciled with the gateway by its key first; only if it
     * was declined does this attempt charge.
     */
    async collectPayment(input: {
      invoiceId: string;
      tenantId: string;
      attempt: number;
      at: string;
      /** The caller waits for the gateway's webhook: a pending charge is answered `pending`, not thrown as PaymentPending. */
      awaitsWebhook?: boolean;
    }): Promise<CollectResult> {
      const at = new Date(input.at);
      // At most: reconcile an earlier attempt, then reconcile or charge this one.
      for (let step = 0; step < 3; step += 1) {
        const started = await start(input);
        if (started.kind === 'settled') return { outcome: 'settled', invoiceStatus: started.status, attempt: input.attempt };
        if (started.kind === 'recorded') {
          if (started.attempt.status === 'declined') throw declinedFailure(input.attempt, started.attempt.failure_reason ?? 'declined');
          return { outcome: 'succeeded', invoiceStatus: started.status, attempt: input.attempt };
        }
        const { attempt, currency } = started;
        const result = await ask(attempt, currency, started.kind === 'reconcile');
        if (result.outcome === 'pending') {
          await awaitWebhook(attempt, result.reference);
          if (!input.awaitsWebhook) throw pendingFailure(attempt.attempt, result.reference);
          return { outcome: 'pending', invoiceStatus: started.status, attempt: attempt.attempt, reference: result.reference };
        }
        const status = await record(attempt, result, at);
        // An earlier attempt, settled now: if it collected, there is nothing left for this one.
        if (attempt.attempt !== input.attempt && result.outcome === 'declined') continue;
        if (result.outcome === 'declined') throw declinedFailure(input.attempt, result.reason);
        return { outcome: 'succeeded', invoiceStatus: status, attempt: input.attempt };
      }
      throw new Error(`invoice ${input.invoiceId}: a payment attempt is still pending after reconciling; retrying`);
    },

    /**
     * Settles the pending charge of an attempt (one `collectPayment` answered `pending`), once.
     * `answer` is what the provider's signed webhook said of it; it is taken only for the charge
     * the attempt is waiting on (its reference), otherwise, and when the wait ended without an
     * answer (null), the gateway is asked, and a charge still pending is canceled there. An
     * attempt settled already (a repeated signal, a re-run activity) answers what it was.
     */
    async settlePendingPayment(input: {
      invoiceId: string;
      tenantId: string;
      attempt: number;
      answer: GatewayAnswer | null;
      at: string;
    }): Promise<SettleResult> {
      const found = await withTenant(pg, input.tenantId, async (tx) => {
        const invoice = await invoicesRepository.findById(tx, input.invoiceId);
        if (!invoice) throw notFound(input.invoiceId);
        return { invoice, attempt: await paymentsRepository.attemptOf(tx, input.invoiceId, input.attempt) };
      });
      const attempt = found.attempt;
      if (!attempt) throw ApplicationFailure.nonRetryable(`invoice ${input.invoiceId} has no attempt ${input.attempt}`, 'AttemptNotFound');
      if (attempt.status !== 'pending')
        return { outcome: attempt.status, invoiceStatus: found.invoice.status, reason: attempt.failure_reason };
      const { answer } = input;
      const taken =
        answer &&
        answer.outcome !== 'requires_action' &&
        answer.idempotencyKey === attempt.idempotency_key &&
        answer.reference === attempt.gateway_reference
          ? answer.outcome === 'succeeded'
            ? ({ outcome: 'succeeded', reference: answer.reference } as const)
            : ({ outcome: 'declined', reference: answer.reference, reason: answer.reason ?? 'payment_failed' } as const)
          : null;
      const result = taken ?? (await finalOutcome(attempt, found.invoice.currency));
      const invoiceStatus = await record(attempt, result, new Date(input.at));
      return { outcome: result.outcome, invoiceStatus, reason: result.outcome === 'declined' ? result.reason : null };
    },

    /**
     * Ends dunning without payment: the invoice becomes uncollectible and an alert is raised
     * (pushed live and sent as `alert.created`). An attempt still pending is reconciled first; if
     * it collected, the invoice is paid, not uncollectible. An invoice settled meanwhile keeps its
     * status. The alert's dedup key (tenant, kind, the invoice's period) makes a retried activity
     * raise it once.
     */
    async markInvoiceUncollectible(input: { invoiceId: string; tenantId: string }): Promise<{ invoiceStatus: string }> {
      let invoice: InvoiceRow | undefined;
      for (let step = 0; step < 3 && !invoice; step += 1) {
        const found = await withTenant(pg, input.tenantId, async (tx) => {
          const locked = await lockInvoice(tx, input.invoiceId);
          const pending = await paymentsRepository.pendingAttempt(tx, input.invoiceId);
          if (pending) return { kind: 'pending' as const, pending, currency: locked.currency };
          const decision = decideInvoice(invoiceFacts(locked, null), { action: 'mark_uncollectible', actor: 'system' });
          // Refused: settled meanwhile (paid or void), so it keeps its status.
          if (!decision.ok) return { kind: 'done' as const, invoice: locked };
          return { kind: 'done' as const, invoice: (await writeInvoiceDecision(tx, locked, decision, { at: new Date() })).invoice };
        });
        if (found.kind === 'pending') await reconcile(found.pending, found.currency, new Date());
        else invoice = found.invoice;
      }
      if (!invoice) throw new Error(`invoice ${input.invoiceId}: a payment attempt is still pending after reconciling; retrying`);
      if (invoice.status === 'uncollectible') {
        const total = formatAmount(fromMinorUnits(invoice.total_minor ?? 0n, invoice.currency), invoice.currency);
        const alert = await raiseAlert(pg, {
          tenantId: input.tenantId,
          meter: null,
          kind: 'invoice_uncollectible',
          severity: 'critical',
          windowStart: invoice.period_start,
          windowEnd: invoice.period_end,
          observed: total,
          expected: null,
          currency: invoice.currency,
          message: `Invoice ${invoice.number ?? invoice.id} (${total} ${invoice.currency}) is uncollectible: every payment attempt was declined, and the subscription is past due.`,
          details: { invoiceId: invoice.id, subscriptionId: invoice.subscription_id },
        });
        if (alert) {
          await webhooks.emitWebhookEvent(alertCreatedEvent(alert));
        }
      }
      return { invoiceStatus: invoice.status };
    },
  };
}
