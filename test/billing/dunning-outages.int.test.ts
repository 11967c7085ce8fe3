import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DatabasePool } from 'slonik';
import { createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { until } from '../harness/until.ts';
import { startWebhookReceiver } from '../harness/webhook-receiver.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import { createPaymentActivities } from '../../activities/payments/payment-activities.ts';
import { createWebhookActivities } from '../../activities/webhooks/webhook-activities.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { GATEWAY_TRIES_PER_ATTEMPT } from '../../domain/billing/index.ts';
import { TASK_QUEUE, dunningWorkflowId } from '../../workflows/contract.ts';
import type { DunningResult } from '../../workflows/contract.ts';

// Dunning through outages: a gateway that does not answer for longer than an attempt's retries,
// PostgreSQL failing under the payment bookkeeping for longer than that, and a webhook store that
// refuses dunning's events. None of them is a decline, and none of them fails dunning.
// Real PostgreSQL, ClickHouse, the bundled workflows and the time-skipping server.

const DAY = 86_400_000;
let h: BillingHarness;
let env: TestWorkflowEnvironment;

/**
 * A pool whose transactions fail while `failures` lasts (one failure per call), as they do
 * while PostgreSQL is unreachable: the call throws before any statement runs.
 */
function outagePool(pool: DatabasePool, failures: number) {
  const outage = { remaining: failures, failed: 0 };
  const proxy = new Proxy(pool, {
    get(target, key, receiver) {
      if (key !== 'transaction' && key !== 'connect') return Reflect.get(target, key, receiver);
      return (...args: unknown[]) => {
        if (outage.remaining > 0) {
          outage.remaining -= 1;
          outage.failed += 1;
          return Promise.reject(new Error('Connection terminated unexpectedly (simulated PostgreSQL outage)'));
        }
        return (Reflect.get(target, key, receiver) as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { pool: proxy as DatabasePool, outage };
}

/** The billing worker with some of its activities replaced by the same activities built on other deps. */
async function runWorker(override: (deps: ActivityDeps) => Record<string, unknown> = () => ({})) {
  const deps: ActivityDeps = { pg: h.db.pool, clickhouse: h.ch.client, temporal: env.client, taskQueue: TASK_QUEUE };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: { ...createActivities(withWorkflowContract(deps)), ...override(deps) },
  });
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running.catch(() => {});
  };
}

beforeAll(async () => {
  h = await createBillingHarness();
});
afterAll(async () => h?.dispose());
beforeEach(async () => {
  env = await timeSkippingEnvironment();
  return async () => env.teardown();
});

/** A tenant on a yearly plan of 100 (+25 % tax) started 400 days ago: its first invoice is issued at once. */
async function issued(name: string, payments: { declineFirstAttempts?: number; transientFailuresPerAttempt?: number }) {
  const tenant = await h.createTenant({ name, taxRate: '0.25' });
  await h.setPayments(tenant.id, payments);
  const plan = await h.createPlan({
    code: `p-${name}`,
    name,
    currency: 'USD',
    interval: 'year',
    baseFee: '100',
    gracePeriodSeconds: 0,
    charges: [],
  });
  const now = await env.currentTimeMs();
  const subscriptions = createSubscriptionsService({ pg: h.db.pool, temporal: env.client, searchAttributes: false });
  const sub = await subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date(now - 400 * DAY) }, new Date(now));
  let invoice: Awaited<ReturnType<BillingHarness['invoicesOf']>>[number] | undefined;
  for (let i = 0; i < 600 && !invoice; i += 1) {
    invoice = (await h.invoicesOf(sub.id)).find((x) => x.status !== 'draft');
    if (!invoice) await new Promise((r) => setTimeout(r, 50));
  }
  expect(invoice?.total_minor).toBe(12_500n);
  const dunning = env.client.workflow.getHandle(dunningWorkflowId(invoice!.id));
  // The dunning child is started right after the invoice is finalized.
  await until('the dunning workflow to start', () =>
    dunning.describe().then(
      () => true,
      () => false,
    ),
  );
  return { tenant, sub, invoice: invoice!, dunning };
}

const attemptsOf = (invoiceId: string) =>
  h.ownerQuery<{ attempt: number; status: string; completed_at: Date | null }>(
    'SELECT attempt, status, completed_at FROM payment_attempts WHERE invoice_id = $1 ORDER BY attempt',
    [invoiceId],
  );
const ledgerOf = (invoiceId: string) =>
  h.ownerQuery<{ idempotency_key: string; outcome: string }>(
    'SELECT idempotency_key, outcome FROM builtin_gateway_charges WHERE invoice_id = $1 ORDER BY created_at',
    [invoiceId],
  );
const invoiceStatus = async (invoiceId: string) =>
  (
    await h.ownerQuery<{ status: string; amount_paid_minor: string; paid_at: Date | null; issued_at: Date }>(
      'SELECT status, amount_paid_minor, paid_at, issued_at FROM invoices WHERE id = $1',
      [invoiceId],
    )
  )[0]!;

describe('dunning through outages', () => {
  it('a gateway that does not answer through two rounds of retries: the same attempt is tried again, not declined, and pays', async () => {
    const stop = await runWorker();
    try {
      // Each new charge request fails 25 times: more than two activities' worth of retries.
      const failures = GATEWAY_TRIES_PER_ATTEMPT * 2 + 5;
      const { invoice, dunning } = await issued('gateway-down', { transientFailuresPerAttempt: failures });
      const result = (await dunning.result()) as DunningResult;
      expect(result).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 1 });

      // One attempt, never declined, one charge with its key.
      const attempts = await attemptsOf(invoice.id);
      expect(attempts.map((a) => [a.attempt, a.status])).toEqual([[1, 'succeeded']]);
      expect(await ledgerOf(invoice.id)).toEqual([{ idempotency_key: `${invoice.id}:1`, outcome: 'succeeded' }]);
      const paid = await invoiceStatus(invoice.id);
      expect([paid.status, paid.amount_paid_minor]).toEqual(['paid', '12500']);
      // Two reschedules of an hour each, well before the day-3 attempt of the schedule.
      const hours = (paid.paid_at!.getTime() - paid.issued_at.getTime()) / 3_600_000;
      expect(hours).toBeGreaterThanOrEqual(2);
      expect(hours).toBeLessThan(24);
    } finally {
      await stop();
    }
  }, 120_000);

  it('PostgreSQL failing under the payment bookkeeping for more executions than the old limit of 10: retried, never a decline', async () => {
    // The payment activities (and the built-in gateway's ledger) run on a pool whose first 15
    // transactions fail; everything else in the worker uses the working pool.
    const down = outagePool(h.db.pool, 15);
    const stop = await runWorker((deps) => createPaymentActivities({ ...deps, pg: down.pool }));
    try {
      const { invoice, dunning } = await issued('db-down', {});
      const result = (await dunning.result()) as DunningResult;
      expect(down.outage.failed).toBe(15);
      expect(result).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 1 });
      expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status])).toEqual([[1, 'succeeded']]);
      expect((await ledgerOf(invoice.id)).map((c) => c.outcome)).toEqual(['succeeded']);
      const paid = await invoiceStatus(invoice.id);
      expect(paid.status).toBe('paid');
      // Paid on day 0, after the outage: not on the schedule's day 3 after a counted decline.
      expect(paid.paid_at!.getTime() - paid.issued_at.getTime()).toBeLessThan(DAY);
    } finally {
      await stop();
    }
  }, 120_000);

  it('a webhook store that refuses every invoice.payment_failed event does not fail dunning; the next attempt pays', async () => {
    // emitWebhookEvent is the real activity; for dunning's payment_failed events it runs on a
    // pool that is down for good (the outbox cannot be written), for every other event on the real one.
    const down = outagePool(h.db.pool, Number.MAX_SAFE_INTEGER);
    const stop = await runWorker((deps) => {
      const working = createWebhookActivities(withWorkflowContract(deps));
      const broken = createWebhookActivities(withWorkflowContract({ ...deps, pg: down.pool }));
      return {
        emitWebhookEvent: (event: Parameters<typeof working.emitWebhookEvent>[0]) =>
          event.type === 'invoice.payment_failed' ? broken.emitWebhookEvent(event) : working.emitWebhookEvent(event),
      };
    });
    const receiver = await startWebhookReceiver();
    await withOperator(h.db.pool, (tx) =>
      webhooksRepository.insertEndpoint(tx, {
        url: receiver.url,
        events: ['invoice.paid', 'invoice.payment_failed'],
        secret: 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=',
      }),
    );
    try {
      const { invoice, dunning } = await issued('outbox-down', { declineFirstAttempts: 1 });
      const result = (await dunning.result()) as DunningResult;
      expect(result).toEqual({ invoiceId: invoice.id, outcome: 'paid', attempts: 2 });
      // The emission was tried through its whole retry policy, then given up.
      expect(down.outage.failed).toBe(10);
      expect((await attemptsOf(invoice.id)).map((a) => [a.attempt, a.status])).toEqual([
        [1, 'declined'],
        [2, 'succeeded'],
      ]);
      expect((await invoiceStatus(invoice.id)).status).toBe('paid');
      // The events that could be written were: invoice.paid is enqueued once, payment_failed never.
      const emitted = await h.ownerQuery<{ event_id: string }>(
        'SELECT event_id FROM webhook_deliveries WHERE payload::text LIKE $1 ORDER BY created_at',
        [`%${invoice.id}%`],
      );
      expect(emitted.map((e) => e.event_id)).toEqual([`invoice.paid:${invoice.id}`]);
    } finally {
      await stop();
      await receiver.close();
    }
  }, 120_000);
});
