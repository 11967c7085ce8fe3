import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { Webhook } from 'standardwebhooks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTestEnvironment } from '../harness/environment.ts';
import { startWebhookReceiver } from '../harness/webhook-receiver.ts';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { createActivities } from '../../activities/index.ts';
import { webhookDeliveryWorkflowId as deliveryWorkflowId } from '../../workflows/contract.ts';
import type { WebhookEvent } from '../../domain/webhooks/events.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { openGrant, writeExpiries } from '../../db/postgres/credit-ledger.ts';

const env = useTestEnvironment();
let temporal: TestWorkflowEnvironment;

beforeAll(async () => {
  temporal = await timeSkippingEnvironment();
});
afterAll(async () => temporal?.teardown());

const admin = () => ({ Authorization: `Bearer ${env.api.tokens.admin}` });
const invoicePaid = (invoiceId: string): WebhookEvent => ({
  id: `invoice.paid:${invoiceId}`,
  type: 'invoice.paid',
  tenantId: env.api.tenants.a.id,
  occurredAt: '2026-03-01T00:00:00.000Z',
  data: { invoiceId, total: '12.30' },
});

describe('webhooks', () => {
  it('signs every delivery, retries a failing receiver with backoff, and delivers once when it recovers', async () => {
    const hook = await startWebhookReceiver({ failFirst: 2 });
    const other = await startWebhookReceiver();
    try {
      const created = await env.api.request
        .post('/api/webhooks')
        .set(admin())
        .send({ url: hook.url, events: ['invoice.paid'] });
      expect(created.status).toBe(201);
      expect(created.body.secret).toMatch(/^whsec_/);
      await env.api.request
        .post('/api/webhooks')
        .set(admin())
        .send({ url: other.url, events: ['subscription.created'] });

      const deps = { pg: env.db.pool, clickhouse: env.ch.client, temporal: temporal.client };
      const activities = createActivities(withWorkflowContract(deps));
      const worker = await createBillingWorker({
        connection: temporal.nativeConnection,
        namespace: 'default',
        workflowBundlePath: inject('workflowBundlePath'),
        deps,
      });
      const [deliveryId] = await activities.emitWebhookEvent(invoicePaid('inv-1'));
      expect(deliveryId).toBeDefined();
      const handle = temporal.client.workflow.getHandle(deliveryWorkflowId(deliveryId!));
      const outcome = await worker.runUntil(handle.result());
      expect(outcome).toBe('succeeded');
      const firstRun = (await handle.describe()).runId;

      // Three attempts (500, 500, 204), all signed with the same webhook-id.
      expect(hook.received.map((r) => r.answered)).toEqual([500, 500, 204]);
      const verifier = new Webhook(created.body.secret);
      for (const r of hook.received) {
        const payload = verifier.verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          data: { invoiceId: string; tenantId: string };
        };
        expect(payload).toMatchObject({ type: 'invoice.paid', data: { invoiceId: 'inv-1', tenantId: env.api.tenants.a.id } });
        expect(r.headers['webhook-id']).toBe(deliveryId);
      }
      // A tampered body does not verify.
      expect(() =>
        verifier.verify(hook.received[2]!.body.replace('12.30', '99.99'), hook.received[2]!.headers as Record<string, string>),
      ).toThrow();
      expect(other.received).toEqual([]);

      // Emitting the same event again (a retried activity) starts no second delivery.
      const again = await activities.emitWebhookEvent(invoicePaid('inv-1'));
      expect(again).toEqual([deliveryId]);
      const afterwards = await temporal.client.workflow.getHandle(deliveryWorkflowId(deliveryId!)).describe();
      expect(afterwards.runId).toBe(firstRun);
      expect(afterwards.status.name).toBe('COMPLETED');
      expect(hook.received.filter((r) => r.answered === 204)).toHaveLength(1);

      const deliveries = await env.api.request.get(`/api/webhooks/${created.body.id}/deliveries`).set(admin());
      expect(deliveries.status).toBe(200);
      expect(deliveries.body.items).toHaveLength(1);
      expect(deliveries.body.items[0]).toMatchObject({ id: deliveryId, eventType: 'invoice.paid', status: 'succeeded' });
      expect(deliveries.body.items[0].attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 204]);
    } finally {
      await Promise.all([hook.close(), other.close()]);
    }
  });

  it('dispatches an event no endpoint takes where it records it; one whose delivery cannot start yet stays for the sweep', async () => {
    const hook = await startWebhookReceiver();
    const outbox = async (eventId: string) => {
      const owner = await env.db.owner();
      try {
        return (await owner.query('SELECT dispatched_at IS NOT NULL AS dispatched FROM webhook_outbox WHERE event_id = $1', [eventId]))
          .rows;
      } finally {
        await owner.end();
      }
    };
    try {
      const deps = { pg: env.db.pool, clickhouse: env.ch.client, temporal: temporal.client };
      const activities = createActivities(withWorkflowContract(deps));
      const voided: WebhookEvent = {
        id: 'invoice.voided:inv-nobody',
        type: 'invoice.voided',
        tenantId: env.api.tenants.a.id,
        occurredAt: '2026-03-01T00:00:00.000Z',
        data: { invoiceId: 'inv-nobody' },
      };
      expect(await activities.emitWebhookEvent(voided)).toEqual([]);
      expect(await outbox(voided.id)).toEqual([{ dispatched: true }]);

      // The worker that emits this one has no Temporal client: the event and its delivery are
      // committed, the delivery workflow cannot start, and the activity fails.
      const created = await env.api.request
        .post('/api/webhooks')
        .set(admin())
        .send({ url: hook.url, events: ['invoice.finalized'] });
      expect(created.status).toBe(201);
      const finalized: WebhookEvent = {
        id: 'invoice.finalized:inv-later',
        type: 'invoice.finalized',
        tenantId: env.api.tenants.a.id,
        occurredAt: '2026-03-01T00:00:00.000Z',
        data: { invoiceId: 'inv-later' },
      };
      await expect(createActivities(withWorkflowContract({ ...deps, temporal: undefined })).emitWebhookEvent(finalized)).rejects.toThrow(
        /Temporal client/,
      );
      expect(await outbox(finalized.id)).toEqual([{ dispatched: false }]);

      // The outbox sweep finds it undispatched and starts its one delivery.
      const worker = await createBillingWorker({
        connection: temporal.nativeConnection,
        namespace: 'default',
        workflowBundlePath: inject('workflowBundlePath'),
        deps,
      });
      expect(await activities.dispatchWebhookOutbox()).toBe(1);
      expect(await outbox(finalized.id)).toEqual([{ dispatched: true }]);
      const deliveries = await env.api.request.get(`/api/webhooks/${created.body.id}/deliveries`).set(admin());
      expect(deliveries.body.items).toHaveLength(1);
      const outcome = await worker.runUntil(temporal.client.workflow.getHandle(deliveryWorkflowId(deliveries.body.items[0].id)).result());
      expect(outcome).toBe('succeeded');
      expect(hook.received.map((r) => r.answered)).toEqual([204]);
    } finally {
      await hook.close();
    }
  });

  it('delivers credit.balance_low and credit.depleted, signed, to an endpoint that takes them', async () => {
    const hook = await startWebhookReceiver();
    try {
      const tenantId = env.api.tenants.b.id;
      const created = await env.api.request
        .post('/api/webhooks')
        .set(admin())
        .send({ url: hook.url, events: ['credit.balance_low', 'credit.depleted'] });
      expect(created.status).toBe(201);
      const threshold = await env.api.request.patch(`/api/tenants/${tenantId}`).set(admin()).send({ creditLowThreshold: '5.00' });
      expect(threshold.status).toBe(200);
      // 10.00 that expires unused: one fall from 10.00 to 0 crosses the threshold and empties the balance.
      const from = Date.parse('2026-06-01T00:00:00Z');
      const currency = (await env.api.request.get(`/api/tenants/${tenantId}`).set(admin())).body.currency as string;
      await withTenant(env.db.pool, tenantId, (tx) =>
        openGrant(
          tx,
          {
            tenantId,
            currency,
            source: 'grant',
            amountMinor: 1000n,
            priority: 0,
            effectiveAt: new Date(from),
            expiresAt: new Date(from + 3_600_000),
            appliesTo: null,
            reason: 'expires unused',
          },
          new Date(from),
        ),
      );
      await withTenant(env.db.pool, tenantId, (tx) => writeExpiries(tx, tenantId, currency, new Date(from + 7_200_000)));

      const deps = { pg: env.db.pool, clickhouse: env.ch.client, temporal: temporal.client };
      const activities = createActivities(withWorkflowContract(deps));
      await activities.dispatchWebhookOutbox();
      const deliveries = (await env.api.request.get(`/api/webhooks/${created.body.id}/deliveries`).set(admin())).body.items as {
        id: string;
      }[];
      expect(deliveries).toHaveLength(2);
      // Each delivery's attempt, as its workflow's activity makes it (the retries and backoff are the first test's).
      for (const d of deliveries) expect((await activities.deliverWebhook(d.id)).statusCode).toBe(204);
      const verifier = new Webhook(created.body.secret);
      expect(hook.received.map((r) => r.headers['webhook-id']).sort()).toEqual(deliveries.map((d) => d.id).sort());
      const payloads = hook.received.map(
        (r) =>
          verifier.verify(r.body, r.headers as Record<string, string>) as {
            type: string;
            data: { alert: { tenantId: string; kind: string } };
          },
      );
      expect(payloads.map((p) => [p.type, p.data.alert.kind, p.data.alert.tenantId]).sort()).toEqual([
        ['credit.balance_low', 'credit_low', tenantId],
        ['credit.depleted', 'credit_depleted', tenantId],
      ]);
    } finally {
      await hook.close();
    }
  });

  it('is for admins only, never shows the secret again, and validates the body', async () => {
    expect(
      (
        await env.api.request
          .post('/api/webhooks')
          .set('Authorization', `Bearer ${env.api.tokens.finance}`)
          .send({ url: 'http://127.0.0.1:9/x', events: ['invoice.paid'] })
      ).status,
    ).toBe(403);
    expect((await env.api.request.get('/api/webhooks').set('Authorization', `Bearer ${env.api.tokens.customerA}`)).status).toBe(403);
    const list = await env.api.request.get('/api/webhooks').set(admin());
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const bad = await env.api.request
      .post('/api/webhooks')
      .set(admin())
      .send({ url: 'ftp://example.test/x', events: ['invoice.paid'] });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^url:/);
    const unknownEvent = await env.api.request
      .post('/api/webhooks')
      .set(admin())
      .send({ url: 'http://127.0.0.1:9/x', events: ['invoice.exploded'] });
    expect(unknownEvent.status).toBe(400);
    expect(unknownEvent.body.detail).toMatch(/^events\.0:/);
  });
});
