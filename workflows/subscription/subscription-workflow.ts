import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities/index.ts';
import type { InvoiceSummary, PartRef, WriteInvoiceInput } from '../../activities/invoices/invoice-activities.ts';
import { BILLING_DOMAIN_ERROR, INVOICE_AMOUNT_OUT_OF_RANGE } from '../../domain/billing/billing-failure-types.ts';
import { partWindows } from '../../domain/billing/cycle.ts';
import {
  DEFAULT_DUNNING_SCHEDULE_DAYS,
  SubscriptionStatusSearchAttribute,
  TenantIdSearchAttribute,
  cancelUpdate,
  changePlanUpdate,
  dunningWorkflowId,
  invoiceNowUpdate,
  invoiceSettledSignal,
  lateUsageArrivedSignal,
  invoiceUncollectibleSignal,
  subscriptionStatusQuery,
} from '../contract.ts';
import type {
  CarriedSubscriptionState,
  InvoiceNowResult,
  PendingClose,
  SubscriptionStatus,
  SubscriptionWorkflowInput,
} from '../contract.ts';
import type { WebhookEvent } from '../../domain/webhooks/events.ts';
import { dunningWorkflow } from '../dunning/dunning-workflow.ts';
import {
  MAX_CLOSES_PER_RUN,
  afterRolls,
  applyChangePlan,
  cancelProblem,
  changePlanProblem,
  closeNow,
  closesToInvoice,
  currentPlan,
  dueCloses,
  initialState,
  invoiceNowProblem,
  nextWake,
  periodEnded,
  rollAllEnded,
  rollIfEnded,
  statusOf,
} from './timeline.ts';
import {
  MAX_LATE_CHECKS_PER_RUN,
  afterLateUsageCheck,
  lateUsageGraceMs,
  lateUsageInvoiced,
  lateUsageOpen,
  lateUsageStep,
  lateUsageWindow,
  nudgeLateUsage,
  queueLateUsageClose,
  startLateUsageWatch,
} from './late-usage.ts';

// Activities retry with backoff until they succeed: every one is idempotent (see activities/).
const BILLING_ACTIVITY_OPTIONS = {
  // Each is a few queries (and a PDF): 30 s is generous, and bounds how long a crashed worker's
  // activity waits before another worker retries it.
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const billing = proxyActivities<Activities>(BILLING_ACTIVITY_OPTIONS);
// The same steps run inside the worker's workflow task: the server only records their results.
const billingInTask = proxyLocalActivities<Activities>(BILLING_ACTIVITY_OPTIONS);

/**
 * Patch (deploy/README.md, "patched(), step by step"; retire at step 5): the steps of a close
 * (usage, late usage, the draft, finalizing), the late-usage looks, the read-model report and
 * the webhook events of the outbox run as local activities. Each activity the server schedules
 * costs it a task dispatch and three history writes, and when many periods end at once that
 * round trip, not the steps, limited how fast invoices were issued. Every step is idempotent,
 * so a worker crash between two steps replays the workflow task and repeats the steps already
 * done without a second invoice, number or event. Asked before each call (a run on the old path
 * keeps its remaining calls there until it resumes on this code); before it, all were activities.
 */
const STEPS_IN_WORKFLOW_TASK = 'close-steps-as-local-activities';
const steps = () => (patched(STEPS_IN_WORKFLOW_TASK) ? billingInTask : billing);

/** Invoice-now answers kept across continue-as-new, so a retried request gets the same answer. */
const REMEMBERED_INVOICE_NOW = 20;
/** Failed closes shown in the status. */
const REMEMBERED_BILLING_FAILURES = 12;
/**
 * Patch: a close whose invoice fails with InvoiceAmountOutOfRange is recorded in the status and
 * skipped, and the subscription bills on. Before it, that failure failed the whole workflow.
 */
const SKIP_OUT_OF_RANGE_INVOICE = 'skip-invoice-amount-out-of-range';
/**
 * Patch: a close whose invoice fails with BillingDomainError (a RangeError or a domain validation
 * error, non-retryable since the activity raises it so) is recorded and skipped the same way.
 * Before it, such an error was retried every minute forever, so no history holds that failure.
 */
const SKIP_DOMAIN_ERROR_INVOICE = 'skip-invoice-on-domain-error';
/**
 * Patch: an update (or a queued invoice-now) handled once the period has ended first rolls the
 * period. Before it, one handled in the same task as the period's timer, or while the loop sat in
 * an activity across the boundary, acted on the ended period and stretched its window past its end.
 */
const ROLL_BEFORE_REQUESTS = 'roll-period-before-requests';
/** Patch: at most maxClosesPerRun closes per run, then continue-as-new. Before it, a run invoiced every due close. */
const BOUNDED_CLOSES_PER_RUN = 'bounded-closes-per-run';
/**
 * Patch: an invoice-now bills the period so far and the period keeps its start and end (the
 * period's close bills the rest, rated cumulatively). Before it, an invoice-now ended the period
 * and started a new one at that instant.
 */
const INVOICE_NOW_KEEPS_PERIOD = 'invoice-now-keeps-period';
/**
 * Patch: a canceled subscription stays open for its plan's late-usage horizon, looks for late
 * usage now and then (and on invoice-now), and bills it on late-usage invoices. Asked only once
 * the subscription has ended. Before it, the workflow completed once its final invoice was issued
 * and collected, and late events after that were never billed.
 */
const LATE_USAGE_AFTER_CANCEL = 'late-usage-after-cancel';

/**
 * One subscription, for its whole life (workflow ID subscription-<id>). Each run waits for the
 * current period to end (racing the timer against updates), waits the plan's grace period for
 * late events, then invoices the period through activities (usage → rating → idempotent write →
 * finalize → dunning child → webhooks) and continues as new with the next period (lazily, see
 * below), so each run's history holds one close. A back-dated subscription rolls through every ended period at once and invoices
 * them in order. Updates change the plan, cancel, or invoice now; the `status` query answers the
 * live state. Money is never computed here: rating happens in activities with domain/ functions.
 */
export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionStatus> {
  const s: CarriedSubscriptionState = input.carried ?? initialState(input);
  s.invoiceNowResults ??= [];
  s.outbox ??= [];
  s.eventSeq ??= 0;
  if (!input.carried) notify('subscription.created');
  const results = new Map<string, InvoiceNowResult>(s.invoiceNowResults.map((r) => [r.invoiceId, r]));
  const invoiceNowRequests: string[] = [];
  let report = input.carried === undefined;

  setHandler(subscriptionStatusQuery, () => statusOf(input, s));

  setHandler(
    changePlanUpdate,
    (req) => {
      rollBeforeRequest();
      applyChangePlan(s, req, Date.now());
      report = true;
      notify('subscription.updated');
      return statusOf(input, s);
    },
    { validator: (req) => reject(changePlanProblem(afterRolls(s, Date.now()), req)) },
  );

  setHandler(
    cancelUpdate,
    (req) => {
      rollBeforeRequest();
      // Immediate: the period closes now (its final invoice is queued, due at once) and the
      // subscription is canceled; the main loop invoices it.
      if (req.at === 'period_end') s.cancelAtPeriodEnd = true;
      else closeNow(s, Date.now(), uuid4(), 'cancel');
      report = true;
      notify(s.state === 'canceled' ? 'subscription.canceled' : 'subscription.updated');
      return statusOf(input, s);
    },
    { validator: (req) => reject(cancelProblem(afterRolls(s, Date.now()), req.at)) },
  );

  setHandler(
    invoiceNowUpdate,
    async (req) => {
      if (!results.has(req.invoiceId) && !invoiceNowRequests.includes(req.invoiceId)) invoiceNowRequests.push(req.invoiceId);
      await condition(() => results.has(req.invoiceId));
      return results.get(req.invoiceId)!;
    },
    {
      validator: (req) => {
        if (typeof req?.invoiceId !== 'string' || req.invoiceId.length === 0) throw new Error('invoiceId is required');
        if (results.has(req.invoiceId) || invoiceNowRequests.includes(req.invoiceId)) return;
        // Ended, within the late-usage horizon: invoice-now issues the late-usage invoice.
        if (lateUsageOpen(s, Date.now())) return;
        reject(invoiceNowProblem(afterRolls(s, Date.now()), Date.now()));
      },
    },
  );

  setHandler(invoiceUncollectibleSignal, ({ invoiceId }) => {
    if (!s.uncollectibleInvoiceIds.includes(invoiceId)) s.uncollectibleInvoiceIds.push(invoiceId);
    if (s.state === 'active' || s.state === 'trialing') {
      s.state = 'past_due';
      notify('subscription.updated');
    }
    report = true;
  });

  setHandler(invoiceSettledSignal, ({ invoiceId, status }) => {
    // An uncollectible invoice paid later (a manual payment): its dunning is over, so say it here.
    if (status === 'paid' && s.uncollectibleInvoiceIds.includes(invoiceId)) {
      s.outbox!.push({
        id: `invoice.paid:${invoiceId}`,
        type: 'invoice.paid',
        tenantId: input.tenantId,
        occurredAt: new Date(Date.now()).toISOString(),
        data: { invoice: { invoiceId, subscriptionId: input.subscriptionId, status: 'paid' } },
      });
    }
    s.uncollectibleInvoiceIds = s.uncollectibleInvoiceIds.filter((id) => id !== invoiceId);
    if (s.state === 'past_due' && s.uncollectibleInvoiceIds.length === 0) {
      s.state = 'active';
      notify('subscription.updated');
    }
    report = true;
  });

  // Only a canceled subscription watching for late usage acts on it (see LATE_USAGE_AFTER_CANCEL).
  let nudged = false;
  setHandler(lateUsageArrivedSignal, () => {
    if (s.lateUsage && nudgeLateUsage(s.lateUsage, Date.now())) nudged = true;
  });

  // Dunning children started by this run and still collecting.
  const collecting = new Set<string>();
  let invoicedInThisRun = false;
  let closesInThisRun = 0;
  let lateChecksInThisRun = 0;

  for (;;) {
    // Continue as new lazily: once this run has invoiced a period, the next piece of work (the
    // next period's end, a due close, a request) goes to a fresh run. Until then this run stays
    // open while the dunning child it started makes its first attempts, so the child's outcome is
    // recorded in the history of the run that started it. Requests already accepted by handlers
    // are answered in this run.
    const workDue = invoiceNowRequests.length > 0 || periodEnded(s, Date.now()) || dueCloses(s, Date.now()) > 0;
    // A canceled subscription's late-usage checks also continue as new, once nothing is collecting
    // (lateChecksInThisRun grows only on the patched path).
    const checksDone = lateChecksInThisRun >= MAX_LATE_CHECKS_PER_RUN && collecting.size === 0;
    if (
      ((invoicedInThisRun && workDue) || checksDone || workflowInfo().continueAsNewSuggested) &&
      invoiceNowRequests.length === 0 &&
      allHandlersFinished()
    ) {
      if (report) await reportStatus();
      await continueAsNew<typeof subscriptionWorkflow>({ ...input, carried: s });
    }

    let changed = false;
    // A request waits for the roll: the period it closes is the current one, not one that has ended.
    if (invoiceNowRequests.length > 0 && periodEnded(s, Date.now()) && patched(ROLL_BEFORE_REQUESTS)) changed = rollEnded() || changed;
    // Requests close the current period now; they come before the timer so an invoice-now that
    // arrives with the period's end still bills what it asked for.
    while (invoiceNowRequests.length > 0) {
      const invoiceId = invoiceNowRequests.shift()!;
      // s.lateUsage exists only on the late-usage path (see LATE_USAGE_AFTER_CANCEL).
      const queued =
        s.lateUsage && !s.period
          ? queueLateUsageClose(s, Date.now(), invoiceId, Date.now(), true)
          : closeNow(s, Date.now(), invoiceId, 'invoice_now', patched(INVOICE_NOW_KEEPS_PERIOD));
      if (!queued) remember({ invoiceId, number: null, status: 'nothing_to_invoice' });
      changed = true;
    }
    while (rollIfEnded(s, Date.now(), uuid4)) {
      changed = true;
      notifyRoll();
    }
    if (!s.period && !s.lateUsage && s.state === 'canceled' && patched(LATE_USAGE_AFTER_CANCEL)) {
      s.lateUsage = startLateUsageWatch(s, Date.now(), input.lateUsageCheckSeconds) ?? undefined;
      changed = true;
    }

    // Closes go in order; one that is ready releases every earlier one still in its grace period.
    // A run invoices a bounded number (a back-dated start may owe hundreds), so its history stays
    // small; the rest go to the next run, which the loop starts next. Not while a handler waits
    // (an invoice-now for a close further on): a run cannot continue as new until it has answered.
    // patched() is asked only when the bound bites.
    let due = dueCloses(s, Date.now());
    const maxCloses = Math.max(1, input.maxClosesPerRun ?? MAX_CLOSES_PER_RUN);
    const bounded = closesToInvoice(due, closesInThisRun, maxCloses);
    if (bounded < due && allHandlersFinished() && patched(BOUNDED_CLOSES_PER_RUN)) due = bounded;
    for (let i = 0; i < due; i += 1) {
      const close = s.closes[0]!;
      let invoice: InvoiceSummary;
      closesInThisRun += 1;
      try {
        if (close.reason === 'late_usage') {
          const window = lateUsageWindow(s, close);
          const issued = window && (await invoiceLateUsage(input, window, collecting));
          if (!issued) {
            // Nothing late after all (it was billed already, or a redelivery): no invoice.
            s.closes.shift();
            remember({ invoiceId: close.invoiceId, number: null, status: 'nothing_to_invoice' });
            changed = true;
            continue;
          }
          invoice = issued;
          lateUsageInvoiced(s, close);
        } else {
          invoice = await invoicePeriod(input, close, collecting);
        }
      } catch (err) {
        // The invoice activity has raised a billing_failed alert; retrying cannot cure the failure
        // (numbers that do not fit, a broken domain rule). patched() is asked only here, each type
        // behind its own id, so histories without such a failure replay unchanged.
        const failed = billingFailureOf(err);
        if (
          failed === null ||
          !patched(failed.type === INVOICE_AMOUNT_OUT_OF_RANGE ? SKIP_OUT_OF_RANGE_INVOICE : SKIP_DOMAIN_ERROR_INVOICE)
        )
          throw err;
        const { reason } = failed;
        log.error('invoice failed for good: period not billed', { invoiceId: close.invoiceId, type: failed.type, reason });
        s.billingFailures = [
          ...(s.billingFailures ?? []),
          { invoiceId: close.invoiceId, periodStart: close.serviceFrom, periodEnd: close.serviceEnd, reason },
        ].slice(-REMEMBERED_BILLING_FAILURES);
        s.closes.shift();
        if (close.reason === 'invoice_now' || close.reason === 'late_usage')
          remember({ invoiceId: close.invoiceId, number: null, status: 'billing_failed' });
        changed = true;
        invoicedInThisRun = true;
        continue;
      }
      s.outbox.push(invoiceEvent(input, 'invoice.finalized', invoice));
      // Nothing to collect (a total of zero or less): paid on issue.
      if (invoice.status === 'paid') s.outbox.push(invoiceEvent(input, 'invoice.paid', invoice));
      s.lastInvoice = {
        invoiceId: invoice.invoiceId,
        number: invoice.number,
        status: invoice.status,
        periodStart: invoice.periodStart,
        periodEnd: invoice.periodEnd,
        currency: invoice.currency,
        total: invoice.total,
      };
      s.closes.shift();
      if (close.reason === 'invoice_now' || close.reason === 'late_usage')
        remember({ invoiceId: close.invoiceId, number: invoice.number, status: invoice.status });
      changed = true;
      invoicedInThisRun = true;
    }

    if (changed || report) await reportStatus();
    await flushOutbox();

    if (!s.period && s.closes.length === 0 && s.lateUsage) {
      // Ended, within the late-usage horizon: look for late usage when a check is due (a
      // late-usage invoice is then due after the plan's grace), else sleep until the next check
      // or a request. Once the horizon has passed, complete as below.
      const step = lateUsageStep(s.lateUsage, Date.now());
      if (step.kind === 'check') {
        lateChecksInThisRun += 1;
        const found = await steps().rateLateUsage({
          tenantId: input.tenantId,
          subscriptionId: input.subscriptionId,
          currency: currentPlan(s).currency,
          before: s.lateUsage.until,
          asOf: new Date(Date.now()).toISOString(),
        });
        if (found.length > 0) queueLateUsageClose(s, Date.now(), uuid4(), Date.now() + lateUsageGraceMs(s));
        afterLateUsageCheck(s.lateUsage, Date.now(), found.length > 0);
        continue;
      }
      if (step.kind === 'wait') {
        await condition(() => invoiceNowRequests.length > 0 || report || nudged, step.ms);
        nudged = false;
        continue;
      }
    }
    if (!s.period && s.closes.length === 0) {
      // Ended and the final invoice is issued. The workflow completes once in-flight handlers have
      // answered and its last invoices are collected (or uncollectible).
      await condition(() => allHandlersFinished() && collecting.size === 0);
      if (report) await reportStatus();
      await flushOutbox();
      return statusOf(input, s);
    }

    const wake = nextWake(s);
    const wait = wake === null ? null : wake - Date.now();
    if (wait === null || wait > 0) {
      const woken = () => invoiceNowRequests.length > 0 || report;
      if (wait === null) await condition(woken);
      else await condition(woken, wait);
    }
  }

  /** Reports one roll: it ends a trial, applies a scheduled plan change, or ends a canceled subscription. */
  function notifyRoll() {
    const before = s.lastNotified;
    if (s.state === 'canceled') notify('subscription.canceled');
    else if (before !== snapshot()) notify('subscription.updated');
  }

  /** Rolls every ended period (reporting each); true when one rolled. */
  function rollEnded(): boolean {
    return rollAllEnded(s, Date.now(), uuid4, notifyRoll) > 0;
  }

  /** In an update handler: act on the current period, never on one that has just ended. */
  function rollBeforeRequest() {
    if (periodEnded(s, Date.now()) && patched(ROLL_BEFORE_REQUESTS) && rollEnded()) report = true;
  }

  /** What subscription webhooks report; a change of it is a subscription.updated. */
  function snapshot() {
    const st = statusOf(input, s);
    return JSON.stringify([st.state, st.plan, st.pendingChange]);
  }

  function notify(type: 'subscription.created' | 'subscription.updated' | 'subscription.canceled') {
    if (type === 'subscription.canceled' && s.outbox!.some((e) => e.type === type)) return;
    s.eventSeq = (s.eventSeq ?? 0) + 1;
    const id = type === 'subscription.updated' ? `${type}:${input.subscriptionId}:${s.eventSeq}` : `${type}:${input.subscriptionId}`;
    s.outbox!.push({
      id,
      type,
      tenantId: input.tenantId,
      occurredAt: new Date(Date.now()).toISOString(),
      data: { subscription: statusOf(input, s) },
    });
    s.lastNotified = snapshot();
  }

  /** Hands pending webhook events to delivery, in order (idempotent per event id). */
  async function flushOutbox() {
    while (s.outbox!.length > 0) {
      await steps().emitWebhookEvent(s.outbox![0]!);
      s.outbox!.shift();
    }
  }

  async function reportStatus() {
    report = false;
    s.statusSeq += 1;
    await recordStatus(input, s);
  }

  function remember(result: InvoiceNowResult) {
    results.set(result.invoiceId, result);
    s.invoiceNowResults = [...(s.invoiceNowResults ?? []), result].slice(-REMEMBERED_INVOICE_NOW);
  }
}

function invoiceEvent(input: SubscriptionWorkflowInput, type: 'invoice.finalized' | 'invoice.paid', invoice: InvoiceSummary): WebhookEvent {
  return {
    id: `${type}:${invoice.invoiceId}`,
    type,
    tenantId: input.tenantId,
    occurredAt: new Date(Date.now()).toISOString(),
    data: { invoice: { ...invoice, subscriptionId: input.subscriptionId } },
  };
}

/**
 * The type and message of a non-retryable billing failure of an activity (out of range, a domain
 * error), or null for any other error. An activity's failure arrives wrapped in an
 * ActivityFailure; a local activity's arrives as the activity raised it.
 */
function billingFailureOf(err: unknown): { type: string; reason: string } | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return null;
  const { type, message } = cause;
  return type === INVOICE_AMOUNT_OUT_OF_RANGE || type === BILLING_DOMAIN_ERROR ? { type, reason: message } : null;
}

function reject(problem: string | null): void {
  if (problem) throw new Error(problem);
}

/** Invoices one closed window: usage → late usage → rated draft → finalized invoice → dunning. */
async function invoicePeriod(input: SubscriptionWorkflowInput, close: PendingClose, collecting: Set<string>): Promise<InvoiceSummary> {
  const windows = partWindows(
    close.segments.map((x) => ({ from: new Date(x.from), plan: x.plan })),
    new Date(close.serviceEnd),
  );
  const segments: PartRef[] = windows.map((w) => ({
    from: w.start.toISOString(),
    to: w.end.toISOString(),
    planId: w.plan.planId,
    version: w.plan.version,
  }));
  const currency = close.segments[0]!.plan.currency;
  const usage = await steps().readPeriodUsage({ tenantId: input.tenantId, segments });
  const adjustments = await steps().rateLateUsage({
    tenantId: input.tenantId,
    subscriptionId: input.subscriptionId,
    currency,
    before: close.serviceFrom,
    asOf: new Date(Date.now()).toISOString(),
  });
  return issueInvoice(input, close, currency, { segments, usage, adjustments }, collecting);
}

/**
 * Invoices a late-usage close: the late-usage adjustments alone (no base fee, no usage of its own
 * window, which lies after the end). Null when there is nothing late to bill: no invoice then.
 */
async function invoiceLateUsage(
  input: SubscriptionWorkflowInput,
  close: PendingClose,
  collecting: Set<string>,
): Promise<InvoiceSummary | null> {
  const currency = close.segments[0]!.plan.currency;
  const asOf = new Date(Date.now()).toISOString();
  const adjustments = await steps().rateLateUsage({
    tenantId: input.tenantId,
    subscriptionId: input.subscriptionId,
    currency,
    before: close.serviceEnd,
    asOf,
  });
  if (adjustments.length === 0) return null;
  return issueInvoice(input, close, currency, { segments: [], usage: [], adjustments }, collecting);
}

/** The rated draft of a close, written once, finalized, and handed to dunning when it is owed. */
async function issueInvoice(
  input: SubscriptionWorkflowInput,
  close: PendingClose,
  currency: string,
  lines: Pick<WriteInvoiceInput, 'segments' | 'usage' | 'adjustments'>,
  collecting: Set<string>,
): Promise<InvoiceSummary> {
  const draft = await steps().writeInvoice({
    invoiceId: close.invoiceId,
    tenantId: input.tenantId,
    subscriptionId: input.subscriptionId,
    reason: close.reason,
    currency,
    period: close.period,
    serviceFrom: close.serviceFrom,
    serviceEnd: close.serviceEnd,
    ...lines,
  });
  const invoice = await steps().finalizeInvoice({
    invoiceId: draft.invoiceId,
    tenantId: input.tenantId,
    issuedAt: new Date(Date.now()).toISOString(),
  });
  if (invoice.status === 'finalized' || invoice.status === 'payment_failed') await startDunning(input, invoice.invoiceId, collecting);
  return invoice;
}

async function startDunning(input: SubscriptionWorkflowInput, invoiceId: string, collecting: Set<string>): Promise<void> {
  try {
    const child = await startChild(dunningWorkflow, {
      workflowId: dunningWorkflowId(invoiceId),
      args: [
        {
          invoiceId,
          tenantId: input.tenantId,
          subscriptionId: input.subscriptionId,
          scheduleDays: input.dunningScheduleDays ?? [...DEFAULT_DUNNING_SCHEDULE_DAYS],
        },
      ],
      // Dunning outlives this run (which continues as new) and even a canceled subscription.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    // Its outcome reaches the subscription by signal (invoiceSettled / invoiceUncollectible),
    // whichever run is current by then; here only whether it is still collecting matters.
    collecting.add(invoiceId);
    child.result().then(
      () => collecting.delete(invoiceId),
      () => collecting.delete(invoiceId),
    );
  } catch (err) {
    // Already collecting this invoice (a run that started it before a reset): nothing to do.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('dunning already running', { invoiceId });
  }
}

async function recordStatus(input: SubscriptionWorkflowInput, s: CarriedSubscriptionState): Promise<void> {
  const status = statusOf(input, s);
  const plan = currentPlan(s);
  await steps().recordSubscriptionStatus({
    subscriptionId: input.subscriptionId,
    tenantId: input.tenantId,
    seq: s.statusSeq,
    planId: plan.planId,
    planVersion: plan.version,
    state: s.state,
    currentPeriodStart: status.currentPeriod?.start ?? null,
    currentPeriodEnd: status.currentPeriod?.end ?? null,
    nextInvoiceAt: status.nextInvoiceAt,
    lastInvoiceId: status.lastInvoice?.invoiceId ?? null,
    pendingChange: status.pendingChange,
    canceledAt: status.canceledAt,
  });
  // Keep the operator's filter current where the attributes exist (servers without search
  // attributes, such as the time-skipping test server, start workflows without them).
  const attributes = workflowInfo().typedSearchAttributes;
  if (attributes.get(TenantIdSearchAttribute) !== undefined && attributes.get(SubscriptionStatusSearchAttribute) !== s.state) {
    upsertSearchAttributes([{ key: SubscriptionStatusSearchAttribute, value: s.state }]);
  }
}
