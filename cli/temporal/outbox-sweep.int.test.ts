import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client as TemporalClient } from '@temporalio/client';
import { pino } from 'pino';
import { timeSkippingEnvironment } from '../../test/harness/temporal.ts';
import { until } from '../../test/harness/until.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/harness/webhook-receiver.ts';
import { createBillingHarness, type BillingHarness } from '../../test/harness/billing.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import { recordWebhookEvent } from '../../db/postgres/webhook-outbox.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { subscriptionWorkflowId, TASK_QUEUE } from '../../workflows/contract.ts';
import { startOutboxSweep } from './outbox-sweep.ts';

// The worker's sweep, as run-worker starts it: it dispatches what the outbox holds and starts
// a committed subscription's missing workflow, without anyone asking.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  h = await createBillingHarness();
  await h.attach(env);
  receiver = await startWebhookReceiver({ path: '/sweep' });
  await withOperator(h.db.pool, (tx) =>
    webhooksRepository.insertEndpoint(tx, {
      url: receiver.url,
      events: ['invoice.voided'],
      secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
    }),
  );
});
afterAll(async () => {
  await receiver?.close();
  await h?.dispose();
  await env?.teardown();
});

describe('outbox sweep', () => {
  it('delivers an undispatched event and starts a missing subscription workflow on its own', async () => {
    const tenant = await h.createTenant({ name: 'Sweep' });
    const plan = await h.createPlan({ code: 'sweep', name: 'Sweep', currency: 'USD', interval: 'month', baseFee: '1', charges: [] });
    const refusing = { workflow: { start: () => Promise.reject(new Error('temporal unavailable')) } } as unknown as TemporalClient;
    const sub = await createSubscriptionsService({ pg: h.db.pool, temporal: refusing, searchAttributes: false }).create({
      tenantId: tenant.id,
      planId: plan.id,
    });
    const event = {
      id: `invoice.voided:sweep-${tenant.id}`,
      type: 'invoice.voided' as const,
      tenantId: tenant.id,
      occurredAt: new Date().toISOString(),
      data: { invoice: { invoiceId: 'sweep' } },
    };
    await withOperator(h.db.pool, (tx) => recordWebhookEvent(tx, event));

    const stop = startOutboxSweep(
      { pg: h.db.pool, clickhouse: h.ch.client, temporal: env.client, taskQueue: TASK_QUEUE },
      pino({ level: 'silent' }),
      200,
    );
    try {
      await until(
        'the swept delivery',
        async () => receiver.received.some((r) => JSON.parse(r.body).data.invoice.invoiceId === 'sweep'),
        10_000,
      );
      await until(
        'the started workflow',
        () =>
          env.client.workflow
            .getHandle(subscriptionWorkflowId(sub.id))
            .describe()
            .then(
              (d) => d.status.name === 'RUNNING',
              () => false,
            ),
        10_000,
      );
      // Later sweeps find nothing more to do: still one delivery.
      await new Promise((r) => setTimeout(r, 600));
      expect(receiver.received.filter((r) => JSON.parse(r.body).data.invoice.invoiceId === 'sweep')).toHaveLength(1);
    } finally {
      await stop();
    }
    expect(
      await h.ownerQuery('SELECT started_at IS NOT NULL AS started FROM subscription_workflow_starts WHERE subscription_id = $1', [sub.id]),
    ).toEqual([{ started: true }]);
  });
});
