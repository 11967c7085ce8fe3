// One run of the subscription workflow as an object: the state it carries, what this run alone
// knows (requests waiting, answers given, dunning children collecting), the message handlers'
// bodies and the steps of its main loop. The workflow function wires the handlers and loops;
// the state transitions themselves are the plain functions of timeline.ts and late-usage.ts.
import { allHandlersFinished, condition, log, patched, uuid4, workflowInfo } from '@temporalio/workflow';
import type { InvoiceSummary } from '../../activities/invoices/invoice-activities.ts';
import { INVOICE_AMOUNT_OUT_OF_RANGE } from '../../domain/billing/billing-failure-types.ts';
import { isUtc } from '../../domain/periods/time-zone.ts';
import { invoiceEvent, subscriptionEvent } from '../../domain/webhooks/events.ts';
import type { CancelRequest, ChangePlanRequest, InvoiceNowRequest, InvoiceNowResult, SubscriptionStatus } from '../contract.ts';
import { billingFailureOf, invoiceLateUsage, invoicePeriod, recordStatus, steps } from './close-steps.ts';
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
import {
  BOUNDED_CLOSES_PER_RUN,
  INCLUDED_CREDITS_PER_PERIOD,
  INVOICE_NOW_KEEPS_PERIOD,
  LATE_USAGE_AFTER_CANCEL,
  ROLL_BEFORE_REQUESTS,
  SKIP_DOMAIN_ERROR_INVOICE,
  SKIP_OUT_OF_RANGE_INVOICE,
  ZONED_PERIODS,
} from './patches.ts';
import type { CarriedSubscriptionState, SubscriptionRunInput } from './state.ts';
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

/** Invoice-now answers kept across continue-as-new, so a retried request gets the same answer. */
const REMEMBERED_INVOICE_NOW = 20;
/** Failed closes shown in the status. */
const REMEMBERED_BILLING_FAILURES = 12;

type SubscriptionEventType = 'subscription.created' | 'subscription.updated' | 'subscription.canceled';

function reject(problem: string | null): void {
  if (problem) throw new Error(problem);
}

/** The zone a new subscription's periods follow: the input's, on the ZONED_PERIODS path; else UTC (undefined). */
function zoneOfFirstRun(input: SubscriptionRunInput): string | undefined {
  const zone = input.timeZone;
  return !isUtc(zone) && patched(ZONED_PERIODS) ? zone : undefined;
}

export class SubscriptionRun {
  private readonly input: SubscriptionRunInput;
  private readonly s: CarriedSubscriptionState;
  private readonly results: Map<string, InvoiceNowResult>;
  private readonly invoiceNowRequests: string[] = [];
  /** The read model is due a report (something changed that the loop has not reported yet). */
  private report: boolean;
  // Only a canceled subscription watching for late usage acts on it (see LATE_USAGE_AFTER_CANCEL).
  private nudged = false;
  /** Dunning children started by this run and still collecting. */
  private readonly collecting = new Set<string>();
  private invoicedInThisRun = false;
  private closesInThisRun = 0;
  private lateChecksInThisRun = 0;

  constructor(input: SubscriptionRunInput) {
    this.input = input;
    const s: CarriedSubscriptionState = input.carried ?? initialState(input, zoneOfFirstRun(input));
    this.s = s;
    s.invoiceNowResults ??= [];
    s.outbox ??= [];
    s.eventSeq ??= 0;
    if (!input.carried) this.notify('subscription.created');
    this.results = new Map<string, InvoiceNowResult>(s.invoiceNowResults.map((r) => [r.invoiceId, r]));
    this.report = input.carried === undefined;
  }

  /** What this run hands the next through continue-as-new. */
  get carried(): CarriedSubscriptionState {
    return this.s;
  }

  status(): SubscriptionStatus {
    return statusOf(this.input, this.s);
  }

  // ----- message handlers -----

  changePlan(req: ChangePlanRequest): SubscriptionStatus {
    this.rollBeforeRequest();
    applyChangePlan(this.s, req, Date.now());
    this.report = true;
    this.notify('subscription.updated');
    return this.status();
  }

  validateChangePlan(req: ChangePlanRequest): void {
    reject(changePlanProblem(afterRolls(this.s, Date.now()), req));
  }

  cancel(req: CancelRequest): SubscriptionStatus {
    const s = this.s;
    this.rollBeforeRequest();
    // Immediate: the period closes now (its final invoice is queued, due at once) and the
    // subscription is canceled; the main loop invoices it.
    if (req.at === 'period_end') s.cancelAtPeriodEnd = true;
    else closeNow(s, Date.now(), uuid4(), 'cancel');
    this.report = true;
    this.notify(s.state === 'canceled' ? 'subscription.canceled' : 'subscription.updated');
    return this.status();
  }

  validateCancel(req: CancelRequest): void {
    reject(cancelProblem(afterRolls(this.s, Date.now()), req.at));
  }

  async invoiceNow(req: InvoiceNowRequest): Promise<InvoiceNowResult> {
    const { results, invoiceNowRequests } = this;
    if (!results.has(req.invoiceId) && !invoiceNowRequests.includes(req.invoiceId)) invoiceNowRequests.push(req.invoiceId);
    await condition(() => results.has(req.invoiceId));
    return results.get(req.invoiceId)!;
  }

  validateInvoiceNow(req: InvoiceNowRequest): void {
    if (typeof req?.invoiceId !== 'string' || req.invoiceId.length === 0) throw new Error('invoiceId is required');
    if (this.results.has(req.invoiceId) || this.invoiceNowRequests.includes(req.invoiceId)) return;
    // Ended, within the late-usage horizon: invoice-now issues the late-usage invoice.
    if (lateUsageOpen(this.s, Date.now())) return;
    reject(invoiceNowProblem(afterRolls(this.s, Date.now()), Date.now()));
  }

  invoiceUncollectible({ invoiceId }: { invoiceId: string }): void {
    const s = this.s;
    if (!s.uncollectibleInvoiceIds.includes(invoiceId)) s.uncollectibleInvoiceIds.push(invoiceId);
    if (s.state === 'active' || s.state === 'trialing') {
      s.state = 'past_due';
      this.notify('subscription.updated');
    }
    this.report = true;
  }

  invoiceSettled({ invoiceId, status }: { invoiceId: string; status?: 'paid' | 'void' }): void {
    const s = this.s;
    // An uncollectible invoice paid later (a manual payment): its dunning is over, so say it here.
    if (status === 'paid' && s.uncollectibleInvoiceIds.includes(invoiceId)) {
      s.outbox!.push(
        invoiceEvent('invoice.paid', {
          tenantId: this.input.tenantId,
          occurredAt: new Date(Date.now()).toISOString(),
          invoice: { invoiceId, subscriptionId: this.input.subscriptionId, status: 'paid' },
        }),
      );
    }
    s.uncollectibleInvoiceIds = s.uncollectibleInvoiceIds.filter((id) => id !== invoiceId);
    if (s.state === 'past_due' && s.uncollectibleInvoiceIds.length === 0) {
      s.state = 'active';
      this.notify('subscription.updated');
    }
    this.report = true;
  }

  lateUsageArrived(): void {
    if (this.s.lateUsage && nudgeLateUsage(this.s.lateUsage, Date.now())) this.nudged = true;
  }

  // ----- the main loop's steps -----

  /**
   * Continue as new lazily: once this run has invoiced a period, the next piece of work (the next
   * period's end, a due close, a request) goes to a fresh run. Until then this run stays open
   * while the dunning child it started makes its first attempts, so the child's outcome is
   * recorded in the history of the run that started it. Requests already accepted by handlers
   * are answered in this run.
   */
  continueAsNewDue(): boolean {
    const { s, invoiceNowRequests } = this;
    const workDue = invoiceNowRequests.length > 0 || periodEnded(s, Date.now()) || dueCloses(s, Date.now()) > 0;
    // A canceled subscription's late-usage checks also continue as new, once nothing is collecting
    // (lateChecksInThisRun grows only on the patched path).
    const checksDone = this.lateChecksInThisRun >= MAX_LATE_CHECKS_PER_RUN && this.collecting.size === 0;
    return (
      ((this.invoicedInThisRun && workDue) || checksDone || workflowInfo().continueAsNewSuggested) &&
      invoiceNowRequests.length === 0 &&
      allHandlersFinished()
    );
  }

  /** Reports the status to the read model if something changed since the last report. */
  async reportIfDue(): Promise<void> {
    if (this.report) await this.reportStatus();
  }

  /** Turns queued invoice-now requests into closes, rolls every ended period, starts the late-usage watch; true when something changed. */
  takeRequests(): boolean {
    const { s, input, invoiceNowRequests } = this;
    let changed = false;
    // A request waits for the roll: the period it closes is the current one, not one that has ended.
    if (invoiceNowRequests.length > 0 && periodEnded(s, Date.now()) && patched(ROLL_BEFORE_REQUESTS)) changed = this.rollEnded() || changed;
    // Requests close the current period now; they come before the timer so an invoice-now that
    // arrives with the period's end still bills what it asked for.
    while (invoiceNowRequests.length > 0) {
      const invoiceId = invoiceNowRequests.shift()!;
      // s.lateUsage exists only on the late-usage path (see LATE_USAGE_AFTER_CANCEL).
      const queued =
        s.lateUsage && !s.period
          ? queueLateUsageClose(s, Date.now(), invoiceId, Date.now(), true)
          : closeNow(s, Date.now(), invoiceId, 'invoice_now', patched(INVOICE_NOW_KEEPS_PERIOD));
      if (!queued) this.remember({ invoiceId, number: null, status: 'nothing_to_invoice' });
      changed = true;
    }
    while (rollIfEnded(s, Date.now(), uuid4)) {
      changed = true;
      this.notifyRoll();
    }
    if (!s.period && !s.lateUsage && s.state === 'canceled' && patched(LATE_USAGE_AFTER_CANCEL)) {
      s.lateUsage = startLateUsageWatch(s, Date.now(), input.lateUsageCheckSeconds) ?? undefined;
      changed = true;
    }
    return changed;
  }

  /**
   * Grants the plan's included credits for the current period if this paid period has not had
   * them yet (a trial period has none). The activity finds out whether the plan includes any and
   * is idempotent per (subscription, period start), so a retry or a second run asking writes one
   * grant. A back-dated start rolls through its past periods before this is asked: only the
   * current period is granted.
   */
  async grantIncludedCredits(): Promise<void> {
    const { s, input } = this;
    const period = s.period;
    if (!period || period.kind !== 'paid' || s.includedCreditsFor === period.start) return;
    if (!patched(INCLUDED_CREDITS_PER_PERIOD)) return;
    const plan = s.segments[0]?.plan ?? currentPlan(s);
    await steps().grantIncludedCredits({
      tenantId: input.tenantId,
      subscriptionId: input.subscriptionId,
      planId: plan.planId,
      planVersion: plan.version,
      periodStart: period.start,
      periodEnd: period.end,
    });
    s.includedCreditsFor = period.start;
  }

  /**
   * Invoices the closes that are due; true when one was handled. Closes go in order; one that is
   * ready releases every earlier one still in its grace period. A run invoices a bounded number
   * (a back-dated start may owe hundreds), so its history stays small; the rest go to the next
   * run, which the loop starts next. Not while a handler waits (an invoice-now for a close further
   * on): a run cannot continue as new until it has answered. patched() is asked only when the
   * bound bites.
   */
  async invoiceDueCloses(): Promise<boolean> {
    const { s, input } = this;
    let changed = false;
    let due = dueCloses(s, Date.now());
    const maxCloses = Math.max(1, input.maxClosesPerRun ?? MAX_CLOSES_PER_RUN);
    const bounded = closesToInvoice(due, this.closesInThisRun, maxCloses);
    if (bounded < due && allHandlersFinished() && patched(BOUNDED_CLOSES_PER_RUN)) due = bounded;
    for (let i = 0; i < due; i += 1) {
      const close = s.closes[0]!;
      let invoice: InvoiceSummary;
      this.closesInThisRun += 1;
      try {
        if (close.reason === 'late_usage') {
          const window = lateUsageWindow(s, close);
          const issued = window && (await invoiceLateUsage(input, window, this.collecting));
          if (!issued) {
            // Nothing late after all (it was billed already, or a redelivery): no invoice.
            s.closes.shift();
            this.remember({ invoiceId: close.invoiceId, number: null, status: 'nothing_to_invoice' });
            changed = true;
            continue;
          }
          invoice = issued;
          lateUsageInvoiced(s, close);
        } else {
          invoice = await invoicePeriod(input, close, this.collecting);
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
          this.remember({ invoiceId: close.invoiceId, number: null, status: 'billing_failed' });
        changed = true;
        this.invoicedInThisRun = true;
        continue;
      }
      s.outbox!.push(this.invoiceEvent('invoice.finalized', invoice));
      // Nothing to collect (a total of zero or less): paid on issue.
      if (invoice.status === 'paid') s.outbox!.push(this.invoiceEvent('invoice.paid', invoice));
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
        this.remember({ invoiceId: close.invoiceId, number: invoice.number, status: invoice.status });
      changed = true;
      this.invoicedInThisRun = true;
    }
    return changed;
  }

  /** Reports the status if `changed` or asked for, then hands the outbox to delivery. */
  async publish(changed: boolean): Promise<void> {
    if (changed || this.report) await this.reportStatus();
    await this.flushOutbox();
  }

  /**
   * Ended, within the late-usage horizon: looks for late usage when a check is due (a late-usage
   * invoice is then due after the plan's grace), else sleeps until the next check or a request.
   * True when it did either (the loop goes round again); false once the horizon has passed, or
   * when there is no watch or work is still pending.
   */
  async watchLateUsage(): Promise<boolean> {
    const { s, input } = this;
    if (!(!s.period && s.closes.length === 0 && s.lateUsage)) return false;
    const step = lateUsageStep(s.lateUsage, Date.now());
    if (step.kind === 'check') {
      this.lateChecksInThisRun += 1;
      const found = await steps().rateLateUsage({
        tenantId: input.tenantId,
        subscriptionId: input.subscriptionId,
        currency: currentPlan(s).currency,
        before: s.lateUsage.until,
        asOf: new Date(Date.now()).toISOString(),
      });
      if (found.length > 0) queueLateUsageClose(s, Date.now(), uuid4(), Date.now() + lateUsageGraceMs(s));
      afterLateUsageCheck(s.lateUsage, Date.now(), found.length > 0);
      return true;
    }
    if (step.kind === 'wait') {
      await condition(() => this.invoiceNowRequests.length > 0 || this.report || this.nudged, step.ms);
      this.nudged = false;
      return true;
    }
    return false;
  }

  /** Ended with the final invoice issued (and no late-usage watch still open). */
  ended(): boolean {
    return !this.s.period && this.s.closes.length === 0;
  }

  /**
   * The workflow's last step: once in-flight handlers have answered and its last invoices are
   * collected (or uncollectible), the last report and events, then the final status.
   */
  async complete(): Promise<SubscriptionStatus> {
    await condition(() => allHandlersFinished() && this.collecting.size === 0);
    if (this.report) await this.reportStatus();
    await this.flushOutbox();
    return this.status();
  }

  /** Sleeps until the next period end or due close, or until a request or a change to report. */
  async waitForWork(): Promise<void> {
    const wake = nextWake(this.s);
    const wait = wake === null ? null : wake - Date.now();
    if (wait === null || wait > 0) {
      const woken = () => this.invoiceNowRequests.length > 0 || this.report;
      if (wait === null) await condition(woken);
      else await condition(woken, wait);
    }
  }

  // ----- helpers -----

  /** Reports one roll: it ends a trial, applies a scheduled plan change, or ends a canceled subscription. */
  private notifyRoll() {
    const before = this.s.lastNotified;
    if (this.s.state === 'canceled') this.notify('subscription.canceled');
    else if (before !== this.snapshot()) this.notify('subscription.updated');
  }

  /** Rolls every ended period (reporting each); true when one rolled. */
  private rollEnded(): boolean {
    return rollAllEnded(this.s, Date.now(), uuid4, () => this.notifyRoll()) > 0;
  }

  /** In an update handler: act on the current period, never on one that has just ended. */
  private rollBeforeRequest() {
    if (periodEnded(this.s, Date.now()) && patched(ROLL_BEFORE_REQUESTS) && this.rollEnded()) this.report = true;
  }

  /** What subscription webhooks report; a change of it is a subscription.updated. */
  private snapshot() {
    const st = this.status();
    return JSON.stringify([st.state, st.plan, st.pendingChange]);
  }

  private notify(type: SubscriptionEventType) {
    const s = this.s;
    if (type === 'subscription.canceled' && s.outbox!.some((e) => e.type === type)) return;
    s.eventSeq = (s.eventSeq ?? 0) + 1;
    s.outbox!.push(
      subscriptionEvent(type, {
        tenantId: this.input.tenantId,
        subscriptionId: this.input.subscriptionId,
        seq: s.eventSeq,
        occurredAt: new Date(Date.now()).toISOString(),
        subscription: this.status(),
      }),
    );
    s.lastNotified = this.snapshot();
  }

  private invoiceEvent(type: 'invoice.finalized' | 'invoice.paid', invoice: InvoiceSummary) {
    return invoiceEvent(type, {
      tenantId: this.input.tenantId,
      occurredAt: new Date(Date.now()).toISOString(),
      invoice: { ...invoice, subscriptionId: this.input.subscriptionId },
    });
  }

  /** Hands pending webhook events to delivery, in order (idempotent per event id). */
  private async flushOutbox() {
    const s = this.s;
    while (s.outbox!.length > 0) {
      await steps().emitWebhookEvent(s.outbox![0]!);
      s.outbox!.shift();
    }
  }

  private async reportStatus() {
    this.report = false;
    this.s.statusSeq += 1;
    await recordStatus(this.input, this.s);
  }

  private remember(result: InvoiceNowResult) {
    this.results.set(result.invoiceId, result);
    this.s.invoiceNowResults = [...(this.s.invoiceNowResults ?? []), result].slice(-REMEMBERED_INVOICE_NOW);
  }
}
