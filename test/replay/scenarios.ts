// The scenarios the recorder drives through the real HTTP API (and, where no route exists, the
// Temporal client, as the CLI does). Each returns the workflows whose histories it stands for.
import type { Client } from '@temporalio/client';
import { sql, type DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import type { Config } from '../../cli/config/env-schema.ts';
import { anomalySettingsOf } from '../../cli/temporal/schedules.ts';
import {
  ANOMALY_SCAN_SCHEDULE_ID,
  ANOMALY_SCAN_WORKFLOW,
  TASK_QUEUE,
  dunningWorkflowId,
  subscriptionStatusQuery,
  type AnomalyScanResult,
} from '../../workflows/contract.ts';
import { webhookDeliveryWorkflowId as deliveryWorkflowId } from '../../workflows/contract.ts';
import { DAY, MINUTE, asIngestEvents, eventsIn, steadyBaseline, type EventRow } from '../harness/alerts.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../harness/webhook-receiver.ts';
import type { ApiCall } from './recording-stack.ts';
import { until } from './export-history.ts';
import type { ExportedRun } from './export-history.ts';
import { runEndOf, scheduledActivities } from './history-set.ts';
import { localActivityRuns, type MarkerEvent } from '../harness/local-activity-runs.ts';

/** A workflow to export: one file per run, each run described by `covers` (one entry per run). */
export type Recording = {
  name: string;
  scenario: string;
  workflowId: string;
  covers: string[];
  /** Checks the exported runs are what `covers` says; throws otherwise, so a slow machine cannot mislabel a history. */
  check?: (runs: ExportedRun[]) => void;
};

export type ScenarioContext = {
  api: ApiCall;
  temporal: Client;
  pg: DatabasePool;
  config: Config;
  log: (line: string) => void;
  fixtures: Fixtures;
};
type Fixtures = {
  plans: { trial: string; pro: string; daily: string; late: string };
  uncollectibleHook: { endpointId: string; receiver: WebhookReceiver };
};

type Invoice = { id: string; status: string; periodStart: string; total: string | null; amountDue: string | null };
type Subscription = { id: string; workflowId: string; status: string };

const METER = { code: 'replay_calls', name: 'Replay calls', eventType: 'replay.call', aggregation: 'count' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Meters, plans and the webhook endpoint the scenarios share. */
export async function prepareFixtures(api: ApiCall): Promise<Fixtures> {
  await api('POST', '/meters', { body: METER });
  // Daily plans so a back-dated start rolls through a trial and paid periods at once; a short
  // grace period so each close also waits on its grace-period timer, as in production. A late-usage
  // horizon of 0 days, so a canceled subscription completes after one look for late usage; the
  // late-usage scenario has its own plan with a horizon of a day.
  const plan = async (code: string, baseFee: string, trialDays: number, lateUsageDays = 0) =>
    (
      await api<{ id: string }>('POST', '/pricing/plans', {
        body: {
          code,
          name: code,
          currency: 'USD',
          interval: 'day',
          baseFee,
          trialDays,
          gracePeriodSeconds: 5,
          lateUsageDays,
          charges: [{ meter: METER.code, model: 'per_unit', unitPrice: '0.01', freeUnits: '5' }],
        },
      })
    ).id;
  const plans = {
    trial: await plan('replay-trial', '10.00', 1),
    pro: await plan('replay-pro', '30.00', 0),
    daily: await plan('replay-daily', '20.00', 0),
    late: await plan('replay-late', '20.00', 0, 1),
  };
  // Only invoice.uncollectible, which one scenario emits once: its delivery fails twice, then succeeds.
  const receiver = await startWebhookReceiver({ failFirst: 2 });
  const endpoint = await api<{ id: string }>('POST', '/webhooks', { body: { url: receiver.url, events: ['invoice.uncollectible'] } });
  return { plans, uncollectibleHook: { endpointId: endpoint.id, receiver } };
}

async function createTenant(ctx: ScenarioContext, name: string, payments?: { declineFirstAttempts: number }) {
  const tenant = await ctx.api<{ id: string }>('POST', '/tenants', { body: { name, currency: 'USD', taxRate: '0.1' } });
  const key = (await ctx.api<{ key: string }>('POST', `/tenants/${tenant.id}/api-keys`, { body: { name: 'replay ingest' } })).key;
  if (payments)
    await ctx.api('PUT', `/tenants/${tenant.id}/payment-settings`, {
      body: { gateway: 'builtin', transientFailuresPerAttempt: 0, ...payments },
    });
  return { id: tenant.id, key };
}

async function ingest(ctx: ScenarioContext, key: string, rows: readonly EventRow[]) {
  for (let i = 0; i < rows.length; i += 5_000) {
    await ctx.api('POST', '/usage/ingest', {
      body: { events: asIngestEvents(rows.slice(i, i + 5_000)) },
      auth: `Bearer ${key}`,
      expect: 202,
    });
  }
}

const invoicesOf = async (ctx: ScenarioContext, subscriptionId: string) =>
  (await ctx.api<{ items: Invoice[] }>('GET', `/invoices?subscriptionId=${subscriptionId}&limit=100`)).items;
const invoice = (ctx: ScenarioContext, id: string) => ctx.api<Invoice>('GET', `/invoices/${id}`);
const subscription = (ctx: ScenarioContext, id: string) => ctx.api<Subscription>('GET', `/subscriptions/${id}`);
const workflowStatus = async (ctx: ScenarioContext, workflowId: string) =>
  (await ctx.temporal.workflow.getHandle(workflowId).describe()).status.name;

/**
 * How many times a run called `type`: as a scheduled activity (before the patch
 * close-steps-as-local-activities) or as a local activity (a marker per finished call).
 */
const activityRuns = (history: ExportedRun['history'], type: string) =>
  scheduledActivities(history).filter((a) => a === type).length + localActivityRuns((history.events ?? []) as MarkerEvent[], type).length;

function expectRuns(runs: ExportedRun[], expected: { end: string; invoices: number }[]) {
  const actual = runs.map((r) => ({ end: runEndOf(r.history), invoices: activityRuns(r.history, 'finalizeInvoice') }));
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(
      `the runs are not what the manifest would say: expected ${JSON.stringify(expected)}, recorded ${JSON.stringify(actual)}`,
    );
  }
}

/**
 * Trial, two periods, a plan change, invoice-now and cancel, across three runs joined by
 * continue-as-new. Period 2 ends 45 s after the start, so its end is a real timer firing in run 1.
 */
export async function subscriptionLifecycle(ctx: ScenarioContext): Promise<Recording[]> {
  const tenant = await createTenant(ctx, 'Replay lifecycle');
  const startAt = Date.now() - 3 * DAY + 45_000;
  // Usage in both paid periods (the trial is free).
  await ingest(ctx, tenant.key, [
    ...eventsIn(tenant.id, METER.eventType, startAt + DAY, DAY - MINUTE, 40, 'p1'),
    ...eventsIn(tenant.id, METER.eventType, startAt + 2 * DAY, DAY - 2 * MINUTE, 25, 'p2'),
  ]);
  const sub = await ctx.api<Subscription>('POST', '/subscriptions', {
    body: { tenantId: tenant.id, planId: ctx.fixtures.plans.trial, startAt: new Date(startAt).toISOString() },
  });
  const paid = async (n: number) => (await invoicesOf(ctx, sub.id)).filter((i) => i.status === 'paid').length >= n;
  await until('period 1 invoiced and paid', () => paid(1));
  ctx.log('lifecycle: period 1 paid; waiting for period 2 to end');
  await until('period 2 invoiced and paid', () => paid(2), 180_000);
  await ctx.api('POST', `/subscriptions/${sub.id}/change-plan`, { body: { planId: ctx.fixtures.plans.pro, effective: 'immediate' } });
  await sleep(2_000);
  const now = await ctx.api<Invoice>('POST', '/invoices/generate', { body: { subscriptionId: sub.id }, expect: 201 });
  await until('the invoice-now invoice paid', async () => (await invoice(ctx, now.id)).status === 'paid');
  await sleep(2_000);
  await ctx.api('POST', `/subscriptions/${sub.id}/cancel`, { body: { at: 'immediate' } });
  await until('the canceled subscription to complete', async () => (await workflowStatus(ctx, sub.workflowId)) === 'COMPLETED');
  const [first] = (await invoicesOf(ctx, sub.id)).sort((a, b) => a.periodStart.localeCompare(b.periodStart));
  ctx.log('lifecycle: completed');
  return [
    {
      name: 'subscription-lifecycle',
      scenario: 'subscription-lifecycle',
      workflowId: sub.workflowId,
      covers: [
        'back-dated start: the trial and period 1 roll at once; period 1 invoiced (usage, rating, invoice, dunning child paid at once, webhooks, status); the timer to period 2 end fires; continue-as-new',
        'period 2 closed after its grace-period timer and invoiced; changePlan immediate (two parts); invoiceNow (the period so far, paid; on runs since invoice-now-keeps-period the period is kept); cancel immediate; continue-as-new',
        "the cancellation's final invoice (since invoice-now-keeps-period: from the invoice-now to the cancel, rated cumulatively); since late-usage-after-cancel, a 0-day late-usage horizon: one look for late usage (rateLateUsage); waits for its dunning child; completes",
      ],
      check: (runs) =>
        expectRuns(runs, [
          { end: 'continued_as_new', invoices: 1 },
          { end: 'continued_as_new', invoices: 2 },
          { end: 'completed', invoices: 1 },
        ]),
    },
    {
      name: 'dunning-paid-at-first-attempt',
      scenario: 'subscription-lifecycle',
      workflowId: dunningWorkflowId(first!.id),
      covers: ['period 1 of the lifecycle: the first attempt succeeds; invoice.paid; invoiceSettled to the subscription'],
    },
  ];
}

/**
 * A canceled subscription within its late-usage horizon (a day): a late event posted to ingest
 * (which signals the workflow) is billed on a late_usage invoice after the 5 s grace; then an
 * invoice-now finds nothing late (409). The last run stays open for the rest of the horizon.
 */
export async function lateUsageAfterCancel(ctx: ScenarioContext): Promise<Recording[]> {
  const tenant = await createTenant(ctx, 'Replay late usage');
  const startAt = Date.now() - 2 * DAY - MINUTE;
  const sub = await ctx.api<Subscription>('POST', '/subscriptions', {
    body: { tenantId: tenant.id, planId: ctx.fixtures.plans.late, startAt: new Date(startAt).toISOString() },
  });
  const issued = async (n: number) => (await invoicesOf(ctx, sub.id)).filter((i) => i.status === 'paid').length >= n;
  await until('two periods invoiced and paid', () => issued(2));
  await ctx.api('POST', `/subscriptions/${sub.id}/cancel`, { body: { at: 'immediate' } });
  await until('the final invoice paid', () => issued(3));
  // Let the read model show the cancellation, which ingest reads to decide whom to tell.
  await sleep(3_000);
  // In period 2, which ended a minute before the start (within the day's horizon; period 1 is not).
  await ingest(ctx, tenant.key, eventsIn(tenant.id, METER.eventType, startAt + DAY + MINUTE, MINUTE, 8, 'late'));
  await until('the late-usage invoice paid', () => issued(4), 180_000);
  await ctx.api('POST', '/invoices/generate', { body: { subscriptionId: sub.id }, expect: 409 });
  ctx.log('late usage: done');
  return [
    {
      name: 'subscription-late-usage-after-cancel',
      scenario: 'late-usage-after-cancel',
      workflowId: sub.workflowId,
      covers: [
        'back-dated start: two daily periods invoiced at once; cancel immediate; continue-as-new',
        'the late-usage watch starts (patch late-usage-after-cancel); the final invoice; looks for late usage (rateLateUsage), a lateUsageArrived signal; late usage found, its close waits the grace (timer); continue-as-new',
        'an open run: the late_usage invoice (rateLateUsage, writeInvoice, finalizeInvoice, dunning child); invoiceNow finds nothing late (nothing_to_invoice); waiting for the next look',
      ],
      check: (runs) =>
        expectRuns(runs, [
          { end: 'continued_as_new', invoices: 2 },
          { end: 'continued_as_new', invoices: 1 },
          { end: 'open', invoices: 1 },
        ]),
    },
  ];
}

/** One tenant whose first daily period ended a minute ago: its invoice is issued at once. */
async function billedSubscription(ctx: ScenarioContext, name: string, declineFirstAttempts: number) {
  const tenant = await createTenant(ctx, name, { declineFirstAttempts });
  const sub = await ctx.api<Subscription>('POST', '/subscriptions', {
    body: { tenantId: tenant.id, planId: ctx.fixtures.plans.daily, startAt: new Date(Date.now() - DAY - MINUTE).toISOString() },
  });
  let first: Invoice | undefined;
  await until(`${name}: the first invoice`, async () => {
    first = (await invoicesOf(ctx, sub.id)).find((i) => i.status !== 'draft');
    return first !== undefined;
  });
  return { tenant, sub, invoice: first! };
}

/** Declined, retried at once on a payment-method update, declined again, paid at the next scheduled attempt. */
export async function dunningDeclinedThenPaid(ctx: ScenarioContext): Promise<Recording[]> {
  const { tenant, sub, invoice: inv } = await billedSubscription(ctx, 'Replay dunning paid', 2);
  await until('the first attempt declined', async () => (await invoice(ctx, inv.id)).status === 'payment_failed');
  // A PUT of the payment settings counts as "payment method updated": dunning retries at once.
  await ctx.api('PUT', `/tenants/${tenant.id}/payment-settings`, {
    body: { gateway: 'builtin', declineFirstAttempts: 2, transientFailuresPerAttempt: 0 },
  });
  await until('the invoice paid', async () => (await invoice(ctx, inv.id)).status === 'paid');
  await until('dunning completed', async () => (await workflowStatus(ctx, dunningWorkflowId(inv.id))) === 'COMPLETED');
  ctx.log('dunning paid: done');
  return [
    {
      name: 'dunning-declined-retried-then-paid',
      scenario: 'dunning-declined-then-paid',
      workflowId: dunningWorkflowId(inv.id),
      covers: [
        'attempt 1 declined (invoice.payment_failed); paymentMethodUpdated signal retries at once, declined; the next scheduled attempt (timer) succeeds; invoice.paid; invoiceSettled signal',
      ],
      check: (runs) => {
        const attempts = scheduledActivities(runs[0]!.history).filter((a) => a === 'collectPayment').length;
        if (attempts !== 3) throw new Error(`expected 3 payment attempts, recorded ${attempts}`);
      },
    },
    {
      name: 'subscription-dunning-paid',
      scenario: 'dunning-declined-then-paid',
      workflowId: sub.workflowId,
      covers: [
        'an open run: period 1 invoiced, its dunning child completes paid, the invoiceSettled signal arrives; waiting for the period end',
      ],
    },
  ];
}

/** Every attempt declined: uncollectible, past_due, then a manual payment makes it active again. */
export async function dunningUncollectible(ctx: ScenarioContext): Promise<Recording[]> {
  const { sub, invoice: inv } = await billedSubscription(ctx, 'Replay uncollectible', 100);
  await until('the invoice uncollectible', async () => (await invoice(ctx, inv.id)).status === 'uncollectible');
  await until('the subscription past_due', async () => (await subscription(ctx, sub.id)).status === 'past_due');
  const { endpointId, receiver } = ctx.fixtures.uncollectibleHook;
  let deliveryId = '';
  await until('the invoice.uncollectible webhook delivered after two failures', async () => {
    const items = (await ctx.api<{ items: { id: string; status: string }[] }>('GET', `/webhooks/${endpointId}/deliveries`)).items;
    deliveryId = items[0]?.id ?? '';
    return items[0]?.status === 'succeeded';
  });
  if (receiver.received.map((r) => r.answered).join() !== '500,500,204')
    throw new Error(`the receiver answered ${receiver.received.map((r) => r.answered).join()}`);
  const due = await invoice(ctx, inv.id);
  await ctx.api('POST', `/invoices/${inv.id}/payments`, {
    body: { amount: due.amountDue ?? due.total, reference: 'wire transfer (replay)' },
  });
  await until('the subscription active again', async () => (await subscription(ctx, sub.id)).status === 'active');
  ctx.log('uncollectible: done');
  return [
    {
      name: 'dunning-uncollectible',
      scenario: 'dunning-uncollectible',
      workflowId: dunningWorkflowId(inv.id),
      covers: [
        'four declined attempts on the schedule (timers), invoice.payment_failed each; markInvoiceUncollectible; invoice.uncollectible; invoiceUncollectible signal',
      ],
      check: (runs) => {
        const attempts = scheduledActivities(runs[0]!.history).filter((a) => a === 'collectPayment').length;
        if (attempts !== 4) throw new Error(`expected 4 payment attempts, recorded ${attempts}`);
      },
    },
    {
      name: 'subscription-past-due-then-paid',
      scenario: 'dunning-uncollectible',
      workflowId: sub.workflowId,
      covers: [
        'an open run: invoiceUncollectible signal (past_due, subscription.updated), then invoiceSettled paid after a manual payment (active, invoice.paid from the outbox)',
      ],
    },
    {
      name: 'webhook-delivery-retried',
      scenario: 'dunning-uncollectible',
      workflowId: deliveryWorkflowId(deliveryId),
      covers: [
        'invoice.uncollectible to a receiver that answers 500 twice, then 204: deliverWebhook retried by the activity retry policy, succeeded',
      ],
    },
  ];
}

/** Declined once, then finance voids the invoice: stopDunning ends collection. */
export async function dunningVoided(ctx: ScenarioContext): Promise<Recording[]> {
  const { invoice: inv } = await billedSubscription(ctx, 'Replay voided', 100);
  await until('the first attempt declined', async () => (await invoice(ctx, inv.id)).status === 'payment_failed');
  await ctx.api('POST', `/invoices/${inv.id}/void`, { body: {} });
  await until('dunning stopped', async () => (await workflowStatus(ctx, dunningWorkflowId(inv.id))) === 'COMPLETED');
  ctx.log('voided: done');
  return [
    {
      name: 'dunning-stopped-by-void',
      scenario: 'dunning-voided',
      workflowId: dunningWorkflowId(inv.id),
      covers: ['attempt 1 declined; the stopDunning signal (void) ends the wait for attempt 2'],
    },
  ];
}

/** A 20× spike over a steady week raises a usage_spike (and its alert.created webhook); plus one run the schedule starts. */
export async function anomalyScan(ctx: ScenarioContext): Promise<Recording[]> {
  const tenant = await createTenant(ctx, 'Replay anomaly');
  const windowEnd = Math.floor(Date.now() / (5 * MINUTE)) * 5 * MINUTE;
  const at = new Date(windowEnd + 30_000).toISOString();
  await ingest(ctx, tenant.key, [
    ...steadyBaseline(tenant.id, METER.eventType, windowEnd, 20, { before: 5 * MINUTE, after: 0 }),
    ...eventsIn(tenant.id, METER.eventType, windowEnd - 5 * MINUTE, 5 * MINUTE, 400, 'spike'),
  ]);
  const { delaySeconds: _delay, ...settings } = anomalySettingsOf(ctx.config);
  const workflowId = `${ANOMALY_SCAN_SCHEDULE_ID}-replay-${windowEnd}`;
  // Started as the schedule starts it, with an explicit instant (the schedule's own runs use their start time).
  const result = (await ctx.temporal.workflow.execute(ANOMALY_SCAN_WORKFLOW, {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [{ at, settings }],
  })) as AnomalyScanResult;
  if (result.anomalies.raised.length === 0) throw new Error(`the spike raised no alert: ${JSON.stringify(result).slice(0, 400)}`);

  const schedule = ctx.temporal.schedule.getHandle(ANOMALY_SCAN_SCHEDULE_ID);
  const before = (await schedule.describe()).info.recentActions.length;
  await schedule.trigger();
  let scheduledId = '';
  await until('the triggered scheduled scan', async () => {
    const actions = (await schedule.describe()).info.recentActions;
    scheduledId = actions.length > before ? actions[actions.length - 1]!.action.workflow.workflowId : '';
    return scheduledId !== '' && (await workflowStatus(ctx, scheduledId)) === 'COMPLETED';
  });
  ctx.log('anomaly scan: done');
  return [
    {
      name: 'anomaly-scan-spike',
      scenario: 'anomaly-scan',
      workflowId,
      covers: ['scanUsageAnomalies raises a usage_spike, checkBudgets, one alert.created webhook'],
    },
    {
      name: 'anomaly-scan-scheduled',
      scenario: 'anomaly-scan',
      workflowId: scheduledId,
      covers: ['a run started by the anomaly-scan schedule (no instant given: the run start time)'],
    },
  ];
}

export async function selfCheck(ctx: ScenarioContext): Promise<Recording[]> {
  const workflowId = `self-check-replay-${Date.now()}`;
  await ctx.temporal.workflow.execute('selfCheckWorkflow', { taskQueue: TASK_QUEUE, workflowId, args: ['replay'] });
  return [{ name: 'self-check', scenario: 'self-check', workflowId, covers: ['the selfCheck activity (PostgreSQL and ClickHouse)'] }];
}

/**
 * A close whose rating breaks a domain rule: the stored plan version's currency no longer matches
 * the subscription's (no route can do this; the scenario edits the row), so writeInvoice fails with
 * the non-retryable BillingDomainError, and the run records the failure and skips the close.
 */
export async function billingDomainError(ctx: ScenarioContext): Promise<Recording[]> {
  const tenant = await createTenant(ctx, 'Replay domain error');
  const plan = (
    await ctx.api<{ id: string }>('POST', '/pricing/plans', {
      body: {
        code: 'replay-broken',
        name: 'replay-broken',
        currency: 'USD',
        interval: 'day',
        baseFee: '20.00',
        trialDays: 0,
        gracePeriodSeconds: 5,
        charges: [{ meter: METER.code, model: 'per_unit', unitPrice: '0.01' }],
      },
    })
  ).id;
  // The first daily period ends 20 s after the start, so the change is in place before it closes.
  const sub = await ctx.api<Subscription>('POST', '/subscriptions', {
    body: { tenantId: tenant.id, planId: plan, startAt: new Date(Date.now() - DAY + 20_000).toISOString() },
  });
  await withOperator(ctx.pg, (tx) => tx.query(sql.unsafe`UPDATE plan_versions SET currency = 'EUR' WHERE plan_id = ${plan}`));
  const handle = ctx.temporal.workflow.getHandle(sub.workflowId);
  await until(
    'the close recorded as a billing failure',
    async () => ((await handle.query(subscriptionStatusQuery)).billingFailures?.length ?? 0) > 0,
    120_000,
  );
  await withOperator(ctx.pg, (tx) => tx.query(sql.unsafe`UPDATE plan_versions SET currency = 'USD' WHERE plan_id = ${plan}`));
  ctx.log('domain error: done');
  return [
    {
      name: 'subscription-domain-error-skipped',
      scenario: 'billing-domain-error',
      workflowId: sub.workflowId,
      covers: [
        'an open run: period 1 closes after its grace-period timer; writeInvoice fails with the non-retryable BillingDomainError (a billing_failed alert); skip-invoice-on-domain-error records it in billingFailures and skips the close; waiting for period 2',
      ],
      check: (runs) => {
        const writes = activityRuns(runs[0]!.history, 'writeInvoice');
        if (runs.length !== 1 || writes !== 1 || runEndOf(runs[0]!.history) !== 'open')
          throw new Error(`expected one open run with one writeInvoice, recorded ${runs.length} runs, ${writes} writes`);
      },
    },
  ];
}

export const SCENARIOS = [
  subscriptionLifecycle,
  dunningDeclinedThenPaid,
  dunningUncollectible,
  dunningVoided,
  anomalyScan,
  selfCheck,
  billingDomainError,
  lateUsageAfterCancel,
];
