import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cents, createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { localActivityRuns, type MarkerEvent } from '../harness/local-activity-runs.ts';
import { createActivities } from '../../activities/index.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import {
  TASK_QUEUE,
  cancelUpdate,
  invoiceNowUpdate,
  subscriptionStatusQuery,
  subscriptionWorkflowId,
  type SubscriptionStatus,
} from '../../workflows/contract.ts';

// A request handled at a period boundary acts on the current period, never on the one that has
// just ended. Before, a cancel (or invoice-now) handled in the same workflow task as the period's
// timer closed a window running past
// its period's end: proration refused it (RangeError) and writeInvoice retried forever, so the
// subscription never billed again.

let h: BillingHarness;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  h = await createBillingHarness();
  await h.defineMeter({ code: 'bytes', name: 'Bytes', eventType: 'transfer', aggregation: 'sum', valueProperty: 'bytes' });
});
afterAll(async () => h?.dispose());
/** Workers still running when a test ends (it failed midway): stopped before the server goes. */
const running = new Set<{ detach: () => Promise<void> }>();
beforeEach(async () => {
  env = await timeSkippingEnvironment();
  return async () => {
    for (const w of running) await w.detach();
    await env.teardown();
  };
});

const sleepUntil = async (at: string) => env.sleep(new Date(at).getTime() - (await env.currentTimeMs()));
/** Lets a request sent without awaiting reach the server before a worker is there to take it. */
const settle = () => new Promise((r) => setTimeout(r, 1000));

/** A billing worker without a workflow cache, so no task waits on the sticky queue of a worker that is gone. */
async function startWorker() {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    maxCachedWorkflows: 0,
    activities: createActivities(
      withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client, temporal: env.client, taskQueue: TASK_QUEUE }),
    ),
  });
  const run = worker.run();
  const handle = {
    async detach() {
      running.delete(handle);
      worker.shutdown();
      await run.catch(() => {});
    },
  };
  running.add(handle);
  return handle;
}
const subscriptions = () => createSubscriptionsService({ pg: h.db.pool, temporal: env.client, searchAttributes: false });

type Event = {
  eventType?: unknown;
  timerFiredEventAttributes?: unknown;
  workflowExecutionUpdateAcceptedEventAttributes?: unknown;
  workflowTaskCompletedEventAttributes?: unknown;
};

const monthlyPlan = (code: string, gracePeriodSeconds: number) =>
  h.createPlan({
    code,
    name: code,
    currency: 'USD',
    interval: 'month',
    baseFee: '31',
    gracePeriodSeconds,
    charges: [{ meter: 'bytes', model: 'per_unit', unitPrice: '1' }],
  });

/** The period timer's firing and the update's acceptance were handled by one workflow task (the run's first timer and update). */
async function expectTimerAndUpdateInOneTask(workflowId: string, runId: string) {
  const events = (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events as Event[];
  const fired = events.findIndex((e) => e.timerFiredEventAttributes);
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(fired).toBeGreaterThan(0);
  expect(accepted).toBeGreaterThan(fired);
  expect(events.slice(fired, accepted).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
}

const windows = async (subscriptionId: string) =>
  (await h.invoicesOf(subscriptionId)).map((i) => [
    i.reason,
    i.period_start.toISOString(),
    i.period_end.toISOString(),
    i.status === 'draft' ? 'draft' : 'issued',
  ]);
const alertsOf = (tenantId: string) => h.ownerQuery<{ kind: string }>('SELECT kind FROM alerts WHERE tenant_id = $1', [tenantId]);

type ActivityEvent = MarkerEvent & { workflowExecutionUpdateAcceptedEventAttributes?: unknown };

/** Waits until a statement of the worker waits on a lock of `table` (the activity is held in flight). */
async function heldOn(table: string) {
  for (let i = 0; i < 200; i += 1) {
    const [row] = await h.ownerQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE $1`,
      [`%${table}%`],
    );
    if (row!.n > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no statement waits on ${table}`);
}

/**
 * Runs `during` while another finalization holds 2027's invoice-number row, so a finalizeInvoice
 * of the workflow waits on it, in flight; released whatever happens.
 */
async function holdingInvoiceNumbers<T>(during: () => Promise<T>): Promise<T> {
  const owner = await h.db.owner();
  await owner.query('BEGIN');
  try {
    await owner.query(
      'INSERT INTO invoice_number_sequences (year, last_number) VALUES (2027, 0) ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_sequences.last_number',
    );
    return await during();
  } finally {
    await owner.query('ROLLBACK');
    await owner.end();
  }
}

/**
 * The last update accepted came while finalizeInvoice was in flight: after the draft was written
 * (finalizing starts next), before finalizeInvoice's result was recorded. Both are local
 * activities: the close's steps run in the workflow task, and an update that comes meanwhile is
 * handled in the task that follows (the worker ends a task still running its steps in time).
 */
async function expectLastUpdateDuringFinalize(workflowId: string, runId: string) {
  const events = (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events as ActivityEvent[];
  const [written] = localActivityRuns(events, 'writeInvoice');
  const [finalized] = localActivityRuns(events, 'finalizeInvoice');
  const lastAccepted = events.findLastIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(written!.index).toBeGreaterThan(0);
  expect(lastAccepted).toBeGreaterThan(written!.index);
  expect(lastAccepted).toBeLessThan(finalized!.index);
}

describe('an update at a period boundary', () => {
  it('handled in the same workflow task as the period timer: the ended period is invoiced whole, the cancel closes the new one', async () => {
    let worker = await startWorker();
    const tenant = await h.createTenant({ name: 'Same task' });
    // An hour's grace: the ended period's invoice is not yet due when the cancel comes.
    const plan = await monthlyPlan('same-task', 3600);
    const sub = await subscriptions().create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    const runId = (await handle.describe()).runId;
    await sleepUntil('2027-01-31T23:00:00Z');
    expect(await handle.query(subscriptionStatusQuery)).toMatchObject({ currentPeriod: { end: '2027-02-01T00:00:00.000Z' } });

    // No worker while the period ends: the timer fires, and the cancel joins the task it scheduled.
    await worker.detach();
    await sleepUntil('2027-02-01T00:00:05Z');
    const canceled = handle.executeUpdate(cancelUpdate, { args: [{ at: 'immediate' }] });
    await settle();
    worker = await startWorker();
    // The server's clock runs on while it waits for the worker: the cancel's instant is a few seconds on.
    const { state, canceledAt } = await canceled;
    expect(state).toBe('canceled');
    expect(Date.parse(canceledAt!)).toBeGreaterThanOrEqual(Date.parse('2027-02-01T00:00:05Z'));
    await handle.result();

    await expectTimerAndUpdateInOneTask(handle.workflowId, runId);

    expect(await windows(sub.id)).toEqual([
      ['period_end', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', 'issued'],
      ['cancel', '2027-02-01T00:00:00.000Z', canceledAt, 'issued'],
    ]);
    const [january] = await h.invoicesOf(sub.id);
    expect(cents(january!.total_minor)).toBe('31.00');
    expect(await alertsOf(tenant.id)).toEqual([]);
    await worker.detach();
  });

  it('a queued invoice-now drained with the period timer invoices the current period, not a window past the ended one', async () => {
    let worker = await startWorker();
    const tenant = await h.createTenant({ name: 'Invoice now at the boundary' });
    const plan = await monthlyPlan('invoice-now-boundary', 3600);
    const sub = await subscriptions().create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    const runId = (await handle.describe()).runId;
    await sleepUntil('2027-01-31T23:00:00Z');
    await worker.detach();
    await sleepUntil('2027-02-01T00:00:05Z');
    const invoiced = handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId: '11111111-1111-4111-8111-111111111111' }] });
    await settle();
    worker = await startWorker();
    const answer = await invoiced;
    await expectTimerAndUpdateInOneTask(handle.workflowId, runId);
    expect(answer.invoiceId).toBe('11111111-1111-4111-8111-111111111111');
    expect(['finalized', 'paid', 'payment_failed']).toContain(answer.status);
    await sleepUntil('2027-02-01T00:30:00Z');
    const [, now] = (await h.invoicesOf(sub.id)).map((i) => i.period_end.toISOString());
    expect(Date.parse(now!)).toBeGreaterThanOrEqual(Date.parse('2027-02-01T00:00:05Z'));
    expect(await windows(sub.id)).toEqual([
      ['period_end', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', 'issued'],
      ['invoice_now', '2027-02-01T00:00:00.000Z', now, 'issued'],
    ]);
    expect((await handle.query(subscriptionStatusQuery)).billingFailures).toBeUndefined();
    expect(await alertsOf(tenant.id)).toEqual([]);
    await worker.detach();
  });

  it('delivered while the loop sits in an activity across the boundary: the ended period is invoiced to its end, the cancel closes the new one', async () => {
    const worker = await startWorker();
    const tenant = await h.createTenant({ name: 'In an activity' });
    const plan = await monthlyPlan('in-activity', 0);
    const sub = await subscriptions().create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    const runId = (await handle.describe()).runId;
    await h.sendEvents(tenant.id, [{ id: 'jan', type: 'transfer', time: '2027-01-10T00:00:00Z', data: { bytes: '5' } }]);
    await sleepUntil('2027-01-31T23:59:45Z');

    let canceled: SubscriptionStatus | undefined;
    // Another finalization holds 2027's invoice-number row, so the invoice-now's finalizeInvoice
    // waits on it, in flight, while the period's end passes.
    const invoiced = await holdingInvoiceNumbers(async () => {
      const pending = handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId: '33333333-3333-4333-8333-333333333333' }] });
      await heldOn('invoice_number_sequences');
      await sleepUntil('2027-02-01T00:00:05Z');
      canceled = await handle.executeUpdate(cancelUpdate, { args: [{ at: 'immediate' }] });
      return { pending }; // not awaited here: it finishes once the row is released
    });
    // The cancel acted on February, the period current when it came, not on January.
    expect(canceled!.state).toBe('canceled');
    expect(Date.parse(canceled!.canceledAt!)).toBeGreaterThanOrEqual(Date.parse('2027-02-01T00:00:05Z'));
    expect((await invoiced.pending).invoiceId).toBe('33333333-3333-4333-8333-333333333333');
    await handle.result();
    await expectLastUpdateDuringFinalize(handle.workflowId, runId);

    // January is invoiced exactly to its end, in two parts that sum to the unsplit month (31 + 5 × 1);
    // February from its start to the cancel.
    const invoices = await h.invoicesOf(sub.id);
    const now = invoices[0]!.period_end.toISOString();
    expect(await windows(sub.id)).toEqual([
      ['invoice_now', '2027-01-01T00:00:00.000Z', now, 'issued'],
      ['period_end', now, '2027-02-01T00:00:00.000Z', 'issued'],
      ['cancel', '2027-02-01T00:00:00.000Z', canceled!.canceledAt, 'issued'],
    ]);
    expect(Date.parse(now)).toBeLessThan(Date.parse('2027-02-01T00:00:00Z'));
    expect(cents(invoices[0]!.total_minor! + invoices[1]!.total_minor!)).toBe('36.00');
    expect(await alertsOf(tenant.id)).toEqual([]);
    await worker.detach();
  });

  it('a change of plan while the loop sits in an activity across the boundary splits the new period, not the ended one', async () => {
    const worker = await startWorker();
    const tenant = await h.createTenant({ name: 'Change in an activity' });
    const plan = await monthlyPlan('change-in-activity', 0);
    const pro = await h.createPlan({
      code: 'change-in-activity-pro',
      name: 'Pro',
      currency: 'USD',
      interval: 'month',
      baseFee: '62',
      gracePeriodSeconds: 0,
      charges: [{ meter: 'bytes', model: 'per_unit', unitPrice: '2' }],
    });
    const sub = await subscriptions().create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    const runId = (await handle.describe()).runId;
    await h.sendEvents(tenant.id, [{ id: 'jan', type: 'transfer', time: '2027-01-10T00:00:00Z', data: { bytes: '5' } }]);
    await sleepUntil('2027-01-31T23:59:45Z');

    const invoiced = await holdingInvoiceNumbers(async () => {
      const pending = handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId: '44444444-4444-4444-8444-444444444444' }] });
      await heldOn('invoice_number_sequences');
      await sleepUntil('2027-02-01T00:00:05Z');
      // Through the API's service, as a real change of plan goes (the version frozen, then the Update).
      await subscriptions().changePlan({ kind: 'operator' }, sub.id, { planId: pro.id, effective: 'immediate' });
      return { pending };
    });
    expect((await invoiced.pending).invoiceId).toBe('44444444-4444-4444-8444-444444444444');
    // The ended January's own close follows the invoice-now (no grace period).
    for (let i = 0; i < 100 && (await h.invoicesOf(sub.id)).filter((x) => x.status !== 'draft').length < 2; i += 1)
      await new Promise((r) => setTimeout(r, 100));
    await expectLastUpdateDuringFinalize(handle.workflowId, runId);

    // February is split at the change (its start under the old plan, then Pro); January is not.
    const status = await handle.query(subscriptionStatusQuery);
    expect(status.currentPeriod).toEqual({ start: '2027-02-01T00:00:00.000Z', end: '2027-03-01T00:00:00.000Z' });
    expect(status.parts.map((p) => [p.code, p.from === '2027-02-01T00:00:00.000Z'])).toEqual([
      ['change-in-activity', true],
      ['change-in-activity-pro', false],
    ]);
    expect(Date.parse(status.parts[1]!.from)).toBeGreaterThanOrEqual(Date.parse('2027-02-01T00:00:05Z'));
    const invoices = await h.invoicesOf(sub.id);
    const now = invoices[0]!.period_end.toISOString();
    expect(await windows(sub.id)).toEqual([
      ['invoice_now', '2027-01-01T00:00:00.000Z', now, 'issued'],
      ['period_end', now, '2027-02-01T00:00:00.000Z', 'issued'],
    ]);
    // January under the old plan alone: 31 + 5 × 1, in two parts.
    expect(cents(invoices[0]!.total_minor! + invoices[1]!.total_minor!)).toBe('36.00');
    expect(invoices.flatMap((i) => i.lines.map((l) => l.plan_id))).toEqual(invoices.flatMap((i) => i.lines.map(() => plan.id)));
    expect((await handle.query(subscriptionStatusQuery)).billingFailures).toBeUndefined();
    expect(await alertsOf(tenant.id)).toEqual([]);
    await worker.detach();
  });
});
