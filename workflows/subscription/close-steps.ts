// The activities a subscription run calls, and the steps of a close built from them: usage →
// late usage → rated draft → finalized invoice → dunning child, and the read-model report.
import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities/index.ts';
import type { InvoiceSummary, PartRef, WriteInvoiceInput } from '../../activities/invoices/invoice-activities.ts';
import { BILLING_DOMAIN_ERROR, INVOICE_AMOUNT_OUT_OF_RANGE } from '../../domain/billing/billing-failure-types.ts';
import { partWindows } from '../../domain/billing/cycle.ts';
import { SubscriptionStatusSearchAttribute, TenantIdSearchAttribute, dunningWorkflowId } from '../contract.ts';
import { dunningWorkflow } from '../dunning/dunning-workflow.ts';
import { DEFAULT_DUNNING_SCHEDULE_DAYS } from '../dunning/schedule.ts';
import { STEPS_IN_WORKFLOW_TASK } from './patches.ts';
import type { CarriedSubscriptionState, PendingClose, SubscriptionRunInput } from './state.ts';
import { currentPlan, statusOf } from './timeline.ts';

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

/** The activities of a step, as the STEPS_IN_WORKFLOW_TASK patch decides for this call. */
export const steps = () => (patched(STEPS_IN_WORKFLOW_TASK) ? billingInTask : billing);

/**
 * The type and message of a non-retryable billing failure of an activity (out of range, a domain
 * error), or null for any other error. An activity's failure arrives wrapped in an
 * ActivityFailure; a local activity's arrives as the activity raised it.
 */
export function billingFailureOf(err: unknown): { type: string; reason: string } | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return null;
  const { type, message } = cause;
  return type === INVOICE_AMOUNT_OUT_OF_RANGE || type === BILLING_DOMAIN_ERROR ? { type, reason: message } : null;
}

/** Invoices one closed window: usage → late usage → rated draft → finalized invoice → dunning. */
export async function invoicePeriod(input: SubscriptionRunInput, close: PendingClose, collecting: Set<string>): Promise<InvoiceSummary> {
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
export async function invoiceLateUsage(
  input: SubscriptionRunInput,
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
  input: SubscriptionRunInput,
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

async function startDunning(input: SubscriptionRunInput, invoiceId: string, collecting: Set<string>): Promise<void> {
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

export async function recordStatus(input: SubscriptionRunInput, s: CarriedSubscriptionState): Promise<void> {
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
