// What one run of the subscription workflow hands the next through continue-as-new. Only the
// workflow reads it: the API starts a subscription with its input and asks for its status, both
// in workflows/contract.ts. Old runs carry older shapes: new fields are optional and get their
// default in the workflow.
import type { WebhookEvent } from '../../domain/webhooks/events.ts';
import type {
  BillingFailure,
  InvoiceNowResult,
  LastInvoice,
  PlanTerms,
  SubscriptionState,
  SubscriptionWorkflowInput,
} from '../contract.ts';

/** late_usage: an invoice of late-usage adjustments only, issued after a cancellation. */
export type InvoiceReason = 'period_end' | 'invoice_now' | 'cancel' | 'late_usage';

/** Instants travel as ISO strings (workflow payloads are JSON). */
export type PeriodState = { kind: 'trial' | 'paid'; start: string; end: string; anchor: string; serviceFrom: string };
/** A part of the current period under one plan: from here to the next part (or the period's end). */
export type SegmentState = { from: string; plan: PlanTerms };

/** A period (or part of one) that has ended and waits for its grace period, then is invoiced. */
export type PendingClose = {
  invoiceId: string;
  reason: InvoiceReason;
  /** The whole schedule period: the denominator of proration. */
  period: { start: string; end: string };
  /** The invoiced window [serviceFrom, serviceEnd). */
  serviceFrom: string;
  serviceEnd: string;
  segments: SegmentState[];
  readyAt: string;
  /** A late-usage close an invoice-now asked for (its answer is awaited); others may be replaced. */
  requested?: boolean;
};

export type CarriedSubscriptionState = {
  state: SubscriptionState;
  /** The current period; null once the subscription has ended (its last invoices may still be pending). */
  period: PeriodState | null;
  segments: SegmentState[];
  /** A plan change that takes effect at the end of the current period. */
  pendingPlan: PlanTerms | null;
  cancelAtPeriodEnd: boolean;
  closes: PendingClose[];
  lastInvoice: LastInvoice | null;
  /** Invoices whose dunning ended uncollectible; while any is open the subscription is past_due. */
  uncollectibleInvoiceIds: string[];
  canceledAt: string | null;
  /** Orders the read-model reports across runs. */
  statusSeq: number;
  /** Recent invoice-now answers, so a retried request gets the same answer after continue-as-new. */
  invoiceNowResults?: InvoiceNowResult[];
  /** Webhook events not yet handed to delivery (sent by the main loop, carried across runs). */
  outbox?: WebhookEvent[];
  /** Numbers subscription.updated events, whose ids must be deterministic. */
  eventSeq?: number;
  /** What the last subscription event reported (state, plan, pending change), to notice changes. */
  lastNotified?: string;
  /** The most recent closes whose invoice could not be issued. */
  billingFailures?: BillingFailure[];
  /** The zone whose calendar the periods follow (ZONED_PERIODS); absent: UTC, as in every run from before it. */
  timeZone?: string;
  /** The start of the last period whose included credits were granted (INCLUDED_CREDITS_PER_PERIOD). */
  includedCreditsFor?: string;
  /** After a cancellation: the late-usage horizon the workflow stays open for (set on that path only). */
  lateUsage?: LateUsageWatch;
};

/**
 * A canceled subscription waiting for late usage. Instants as ISO strings. `from` is where the
 * next late-usage invoice's window starts (the cancellation, then each such invoice's end).
 */
export type LateUsageWatch = {
  from: string;
  until: string;
  nextCheckAt: string;
  /** The first interval between checks; it grows fourfold with each check that found nothing, up to a week. */
  checkSeconds: number;
  quietChecks: number;
};

/** A run's input: the subscription's, plus, from the second run on, what the run before carried. */
export type SubscriptionRunInput = SubscriptionWorkflowInput & { carried?: CarriedSubscriptionState };
