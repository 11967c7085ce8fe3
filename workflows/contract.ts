// The small module api/ may import: names, inputs, and message definitions.
// No workflow implementation lives here.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { WebhookEvent } from '../domain/webhooks/events.ts';
export const TASK_QUEUE = 'billing';

export type { SelfCheckResult } from '../activities/self-check.ts';

// ---------------------------------------------------------------------------------------------
// Subscriptions and dunning (issue 6). Everything here is data or a message definition: api/
// starts, queries and updates workflows with these, and never imports their implementation.
// ---------------------------------------------------------------------------------------------

export const SUBSCRIPTION_WORKFLOW = 'subscriptionWorkflow';
export const DUNNING_WORKFLOW = 'dunningWorkflow';
export const subscriptionWorkflowId = (subscriptionId: string) => `subscription-${subscriptionId}`;
export const dunningWorkflowId = (invoiceId: string) => `dunning-${invoiceId}`;

/** Search attributes operators filter by in the Temporal UI (registered by the dev server and deploy/). */
export const TenantIdSearchAttribute = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const SubscriptionStatusSearchAttribute = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);

/**
 * What the workflow knows of a plan version: enough to schedule periods and validate changes.
 * Prices stay in PostgreSQL (plan_versions), where activities read them by (planId, version).
 */
export type PlanTerms = {
  planId: string;
  version: number;
  code: string;
  name: string;
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
  intervalCount: number;
  trialDays: number;
  gracePeriodSeconds: number;
  /** Days after a period ends its late events are still billed; absent in runs started before it existed (35). */
  lateUsageDays?: number;
};

export type SubscriptionState = 'trialing' | 'active' | 'past_due' | 'canceled';
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

/**
 * A close whose invoice could not be issued: an amount or quantity was larger than an invoice
 * stores (InvoiceAmountOutOfRange), or an invoice step broke a domain rule (BillingDomainError).
 * Its window was not billed; a billing_failed alert says why.
 */
export type BillingFailure = { invoiceId: string; periodStart: string; periodEnd: string; reason: string };

export type LastInvoice = {
  invoiceId: string;
  number: string | null;
  status: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  total: string | null;
};

/** What one run hands the next through continue-as-new. */
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

export type SubscriptionWorkflowInput = {
  subscriptionId: string;
  tenantId: string;
  plan: PlanTerms;
  startAt: string;
  billingAnchor: string;
  /** Dunning schedule for this subscription's invoices, in days after issue (default 0, 3, 5, 7). */
  dunningScheduleDays?: number[];
  /** Closes a run invoices before it continues as new (default 12); tests set it lower. */
  maxClosesPerRun?: number;
  /** After a cancellation, the first interval between looks for late usage (default 60 s, growing while nothing is found). */
  lateUsageCheckSeconds?: number;
  carried?: CarriedSubscriptionState;
};

export type PendingChange =
  | { type: 'change_plan'; effective: 'period_end'; planId: string; version: number; code: string; at: string }
  | { type: 'cancel'; at: string };

/** Live status, as the `status` query answers it. */
export type SubscriptionStatus = {
  subscriptionId: string;
  tenantId: string;
  state: SubscriptionState;
  plan: { planId: string; version: number; code: string; name: string };
  startAt: string;
  trialEnd: string | null;
  currentPeriod: { start: string; end: string } | null;
  /** The current period's parts: more than one after an immediate plan change. */
  parts: { from: string; planId: string; version: number; code: string }[];
  nextInvoiceAt: string | null;
  lastInvoice: LastInvoice | null;
  pendingChange: PendingChange | null;
  canceledAt: string | null;
  /** Present once a close could not be invoiced (the most recent ones). */
  billingFailures?: BillingFailure[];
};

export type ChangePlanRequest = { plan: PlanTerms; effective: 'immediate' | 'period_end' };
export type CancelRequest = { at: 'immediate' | 'period_end' };
/** The caller names the invoice id, so it can point at the invoice before it is final. */
export type InvoiceNowRequest = { invoiceId: string };
export type InvoiceNowResult = { invoiceId: string; number: string | null; status: string };

export const changePlanUpdate = defineUpdate<SubscriptionStatus, [ChangePlanRequest]>('changePlan');
export const cancelUpdate = defineUpdate<SubscriptionStatus, [CancelRequest]>('cancel');
export const invoiceNowUpdate = defineUpdate<InvoiceNowResult, [InvoiceNowRequest]>('invoiceNow');
export const subscriptionStatusQuery = defineQuery<SubscriptionStatus>('status');
/** From dunning: an invoice became uncollectible (the subscription goes past_due). */
export const invoiceUncollectibleSignal = defineSignal<[{ invoiceId: string }]>('invoiceUncollectible');
/** From dunning or the API: an invoice was paid or voided (past_due may end). */
export const invoiceSettledSignal = defineSignal<[{ invoiceId: string; status?: 'paid' | 'void' }]>('invoiceSettled');
/**
 * From ingest: events a canceled subscription may still bill (within its late-usage horizon) have
 * arrived, so it looks for late usage now rather than at its next periodic check.
 */
export const lateUsageArrivedSignal = defineSignal('lateUsageArrived');

export const DEFAULT_DUNNING_SCHEDULE_DAYS = [0, 3, 5, 7] as const;

export type DunningInput = {
  invoiceId: string;
  tenantId: string;
  subscriptionId: string;
  /** Attempts at these offsets (days) from the start of dunning. */
  scheduleDays: number[];
};
export type DunningResult = { invoiceId: string; outcome: 'paid' | 'uncollectible' | 'stopped'; attempts: number };
export type DunningStatus = { invoiceId: string; attempts: number; nextAttemptAt: string | null; outcome: DunningResult['outcome'] | null };

/** The customer updated their payment method: retry at once. */
export const paymentMethodUpdatedSignal = defineSignal('paymentMethodUpdated');
/** A manual payment settled the invoice, or finance voided it: stop collecting. */
export const stopDunningSignal = defineSignal<[{ reason: 'paid' | 'void' }]>('stopDunning');
export const dunningStatusQuery = defineQuery<DunningStatus>('dunningStatus');
