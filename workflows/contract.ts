// What the rest of the house shares with the workflows: for each workflow the name it is started
// by, its workflow id, its input and result, and its update, signal and query definitions. api/
// imports only this module; no workflow implementation and no state a run carries lives here.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import type { ScanDefaults } from '../domain/anomaly/index.ts';
import type { GatewayAnswer } from '../domain/billing/payment-failure.ts';
import type { CheckBudgetsResult, ScanUsageResult } from '../activities/alerts/index.ts';

/** The task queue of every workflow (and its activities). */
export const TASK_QUEUE = 'billing';

// ---------------------------------------------------------------------------------------------
// Subscription: one per subscription for its whole life. Dunning: one per invoice to collect,
// a child of the subscription that issued it.
// ---------------------------------------------------------------------------------------------

export const SUBSCRIPTION_WORKFLOW = 'subscriptionWorkflow';
/** One per webhook delivery, started by the activity that emits the event. */
export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';
export const webhookDeliveryWorkflowId = (deliveryId: string) => `webhook-${deliveryId}`;
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

export type SubscriptionWorkflowInput = {
  subscriptionId: string;
  tenantId: string;
  plan: PlanTerms;
  startAt: string;
  billingAnchor: string;
  /**
   * The tenant's IANA zone when the subscription was created: periods begin at the anchor's local
   * day and time there. Absent (runs from before zones) or UTC: the UTC calendar.
   */
  timeZone?: string;
  /** Dunning schedule for this subscription's invoices, in days after issue (default 0, 3, 5, 7). */
  dunningScheduleDays?: number[];
  /** Closes a run invoices before it continues as new (default 12); tests set it lower. */
  maxClosesPerRun?: number;
  /** After a cancellation, the first interval between looks for late usage (default 60 s, growing while nothing is found). */
  lateUsageCheckSeconds?: number;
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
/**
 * From the API's Stripe webhook (signature verified): what the provider said of a pending charge.
 * A run waiting for that charge settles it; an answer for another attempt is kept, and ignored.
 */
export const gatewayAnswerSignal = defineSignal<[GatewayAnswer]>('gatewayAnswer');

// ---------------------------------------------------------------------------------------------
// Anomaly scan: usage anomalies and budget thresholds, one run per tick of a Temporal Schedule.
// ---------------------------------------------------------------------------------------------

export const ANOMALY_SCAN_WORKFLOW = 'anomalyScanWorkflow';
/** The Temporal Schedule's id; each run's workflow id is this plus the scheduled time. */
export const ANOMALY_SCAN_SCHEDULE_ID = 'anomaly-scan';

export type AnomalyScanSettings = ScanDefaults;

export type AnomalyScanInput = {
  /** The instant the scan is for (ISO 8601); default: when this run was started (the scheduled time). */
  at?: string;
  /** The configured defaults (ANOMALY_* variables); alert rules override them per tenant and meter. */
  settings?: Partial<AnomalyScanSettings>;
};

export type AnomalyScanResult = { at: string; anomalies: ScanUsageResult; budgets: CheckBudgetsResult };
