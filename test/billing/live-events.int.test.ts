import { createServer } from 'node:http';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client as TemporalClient } from '@temporalio/client';
import { PDFDocument } from 'pdf-lib';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { TEST_AUTH, type TestApi } from '../harness/api.ts';
import { WsTestClient } from '../harness/ws-client.ts';
import { pdfText } from '../harness/pdf-text.ts';
import { until } from '../harness/until.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../harness/webhook-receiver.ts';
import { startBillingApi, stopBillingApi, type BillingHarness } from '../harness/billing.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { recordWebhookEvent } from '../../db/postgres/webhook-outbox.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import { createRealtimeHub, type RealtimeHub } from '../../api/realtime/index.ts';
import { createPrincipalResolver } from '../../api/auth/principal.ts';
import { createWebhookActivities } from '../../activities/webhooks/webhook-activities.ts';
import { raiseBillingFailed } from '../../activities/invoices/out-of-range.ts';
import { OutOfRangeError } from '../../domain/money/index.ts';
import { TASK_QUEUE } from '../../workflows/contract.ts';

// Live events for real state changes (invoice finalized, paid, voided; subscription updated)
// reach WebSocket clients, invoice.voided and alert.created reach a webhook endpoint through
// the outbox, and the stored PDF of a settled invoice says so.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
let hub: RealtimeHub;
let wsUrl: string;
let stopServer: () => Promise<void>;
let receiver: WebhookReceiver;
let planId: string;
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const DAY = 86_400_000;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([{ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }]));
  planId = (
    await api.request
      .post('/api/pricing/plans')
      .set(auth(api.tokens.admin))
      .send({
        code: 'live',
        name: 'Live',
        currency: 'USD',
        interval: 'month',
        baseFee: '0',
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.25' }],
      })
  ).body.id;
  const server = createServer(api.app.koa.callback());
  hub = createRealtimeHub({
    pg: h.db.pool,
    principalOfHeaders: createPrincipalResolver(TEST_AUTH, h.db.pool),
    logger: pino({ level: 'silent' }),
  });
  await hub.start();
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  wsUrl = `ws://127.0.0.1:${(server.address() as { port: number }).port}/api/ws`;
  stopServer = async () => {
    await hub.close();
    await new Promise((resolve) => server.close(resolve));
  };
  receiver = await startWebhookReceiver({ path: '/live' });
  await withOperator(h.db.pool, (tx) =>
    webhooksRepository.insertEndpoint(tx, { url: receiver.url, events: ['invoice.voided', 'alert.created'], secret }),
  );
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await stopServer?.();
  await receiver?.close();
  await stopBillingApi({ env, h });
});

const call = (method: 'get' | 'post' | 'put', path: string, token: string, body?: object) => {
  const r = api.request[method](path).set(auth(token));
  return body ? r.send(body) : r;
};

async function connect(token: string): Promise<WsTestClient> {
  const c = new WsTestClient(wsUrl, { headers: auth(token) });
  clients.push(c);
  await c.next((m) => m.type === 'ready');
  return c;
}

/** An invoice of `tenantId` finalized now with one call (0.25), whose card is declined. */
async function declinedInvoice(tenantId: string, eventId: string) {
  await call('put', `/api/tenants/${tenantId}/payment-settings`, api.tokens.finance, { declineFirstAttempts: 100 }).expect(200);
  const startAt = new Date((await env.currentTimeMs()) - DAY).toISOString();
  const sub = (await call('post', '/api/subscriptions', api.tokens.admin, { tenantId, planId, startAt }).expect(201)).body;
  await h.sendEvents(tenantId, [{ id: eventId, type: 'call', time: new Date((await env.currentTimeMs()) - 1000) }]);
  const generated = await call('post', '/api/invoices/generate', api.tokens.admin, { subscriptionId: sub.id }).expect(201);
  const invoice = await until(
    'the declined day-0 attempt',
    async () => {
      const body = (await call('get', `/api/invoices/${generated.body.id}`, api.tokens.finance)).body;
      return body.status === 'payment_failed' && body;
    },
    10_000,
  );
  return { sub, invoice };
}

const pdfOf = async (invoiceId: string) => {
  const res = await call('get', `/api/invoices/${invoiceId}/pdf`, api.tokens.finance).buffer(true).expect(200);
  // A well-formed PDF (pdf-lib parses it), whose shown text we read.
  expect((await PDFDocument.load(res.body as Buffer)).getPageCount()).toBeGreaterThan(0);
  return pdfText(res.body as Buffer);
};

const outboxRows = (eventId: string) =>
  h.ownerQuery<{ dispatched_at: Date | null }>('SELECT dispatched_at FROM webhook_outbox WHERE event_id = $1', [eventId]);

describe('live events and the outbox', () => {
  it('a WebSocket client sees invoice.finalized, invoice.paid and subscription.updated of its tenant; the paid PDF says PAID', async () => {
    const a = await connect(api.tokens.customerA);
    const b = await connect(api.tokens.customerB);
    const { sub, invoice } = await declinedInvoice(api.tenants.a.id, 'a-1');
    const finalized = await a.next((m) => m.type === 'invoice.finalized', 5_000);
    expect(finalized).toMatchObject({
      tenantId: api.tenants.a.id,
      eventId: `invoice.finalized:${invoice.id}`,
      invoice: { invoiceId: invoice.id, subscriptionId: sub.id },
    });
    // The unpaid invoice is a bill: no stamp.
    const unpaid = await pdfOf(invoice.id);
    expect(unpaid).toContain('Status: payment_failed');
    expect(unpaid).not.toContain('PAID');
    expect(unpaid).not.toContain('VOID');

    await call('post', `/api/invoices/${invoice.id}/payments`, api.tokens.finance, { amount: '0.25', reference: 'wire' }).expect(200);
    const paid = await a.next((m) => m.type === 'invoice.paid', 5_000);
    expect(paid).toMatchObject({ tenantId: api.tenants.a.id, invoice: { invoiceId: invoice.id } });
    const text = await pdfOf(invoice.id);
    expect(text).toContain('PAID');
    expect(text).toContain('Status: paid');
    expect(text).not.toContain('VOID');

    await call('post', `/api/subscriptions/${sub.id}/cancel`, api.tokens.admin, { at: 'period_end' }).expect(200);
    const updated = await a.next((m) => m.type === 'subscription.updated', 5_000);
    expect(updated).toMatchObject({ tenantId: api.tenants.a.id, subscription: { subscriptionId: sub.id } });
    // Each fact once, and nothing of tenant A reaches tenant B's client.
    expect(a.messages.filter((m) => m.type === 'invoice.paid')).toHaveLength(1);
    expect(a.messages.filter((m) => m.type === 'invoice.finalized')).toHaveLength(1);
    expect(b.messages.filter((m) => m.tenantId === api.tenants.a.id)).toEqual([]);
  });

  it('a void is live as invoice.voided, reaches the webhook endpoint once through the outbox, and the PDF says VOID', async () => {
    const b = await connect(api.tokens.customerB);
    const a = await connect(api.tokens.customerA);
    const { invoice } = await declinedInvoice(api.tenants.b.id, 'b-1');
    const before = receiver.received.length;
    await call('post', `/api/invoices/${invoice.id}/void`, api.tokens.finance).expect(200);
    const voided = await b.next((m) => m.type === 'invoice.voided');
    expect(voided).toMatchObject({
      tenantId: api.tenants.b.id,
      eventId: `invoice.voided:${invoice.id}`,
      invoice: { invoiceId: invoice.id, status: 'void', number: invoice.number },
    });
    expect(a.messages.filter((m) => m.type === 'invoice.voided')).toEqual([]);
    // A second void is refused (409) and records nothing more.
    await call('post', `/api/invoices/${invoice.id}/void`, api.tokens.finance).expect(409);
    expect(await outboxRows(`invoice.voided:${invoice.id}`)).toEqual([{ dispatched_at: null }]);

    // The API does not dispatch: the worker's sweep does (run here twice, as two sweeps would).
    const dispatcher = createWebhookActivities(
      withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client, temporal: env.client, taskQueue: TASK_QUEUE }),
    );
    await Promise.all([dispatcher.dispatchWebhookOutbox(), dispatcher.dispatchWebhookOutbox()]);
    expect(await outboxRows(`invoice.voided:${invoice.id}`)).toEqual([{ dispatched_at: expect.any(Date) }]);
    await until('the invoice.voided delivery', async () => receiver.received.length > before, 5_000);
    await new Promise((r) => setTimeout(r, 300));
    const hooks = receiver.received
      .slice(before)
      .map(
        (r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> },
      );
    expect(hooks).toEqual([
      {
        type: 'invoice.voided',
        timestamp: expect.any(String),
        data: { tenantId: api.tenants.b.id, invoice: expect.objectContaining({ invoiceId: invoice.id, status: 'void' }) },
      },
    ]);

    const text = await pdfOf(invoice.id);
    expect(text).toContain('VOID');
    expect(text).toContain('Status: void');
    expect(text).not.toContain('PAID');
  });

  it('an alert-raising activity that fails after its commit and is retried sends alert.created once', async () => {
    // The first try commits the alert, then cannot start the delivery (Temporal refuses once).
    const refusing = { workflow: { start: () => Promise.reject(new Error('temporal unavailable')) } } as unknown as TemporalClient;
    const ctx = {
      tenantId: api.tenants.a.id,
      window: { start: new Date('2027-03-01T00:00:00Z'), end: new Date('2027-04-01T00:00:00Z') },
      step: 'rating' as const,
      meter: 'calls',
    };
    const err = new OutOfRangeError('the amount is too large');
    const before = receiver.received.length;
    await expect(
      raiseBillingFailed(
        withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client, temporal: refusing, taskQueue: TASK_QUEUE }),
        ctx,
        err,
      ),
    ).rejects.toThrow('temporal unavailable');
    // The retry finds the alert already there.
    await raiseBillingFailed(
      withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client, temporal: env.client, taskQueue: TASK_QUEUE }),
      ctx,
      err,
    );
    const [alert] = await h.ownerQuery<{ id: string }>(
      "SELECT id FROM alerts WHERE tenant_id = $1 AND kind = 'billing_failed' AND window_start = '2027-03-01T00:00:00Z'",
      [api.tenants.a.id],
    );
    expect(alert).toBeDefined();
    expect(await outboxRows(`alert.created:${alert!.id}`)).toEqual([{ dispatched_at: null }]);

    await createWebhookActivities(
      withWorkflowContract({
        pg: h.db.pool,
        clickhouse: h.ch.client,
        temporal: env.client,
        taskQueue: TASK_QUEUE,
      }),
    ).dispatchWebhookOutbox();
    await until('the alert.created delivery', async () => receiver.received.length > before, 5_000);
    await new Promise((r) => setTimeout(r, 300));
    const hooks = receiver.received
      .slice(before)
      .map((r) => ({ id: r.headers['webhook-id'], payload: JSON.parse(r.body) as { type: string; data: { alert: { id: string } } } }));
    expect(hooks.map((x) => [x.payload.type, x.payload.data.alert.id])).toEqual([['alert.created', alert!.id]]);
    const deliveries = await h.ownerQuery('SELECT status FROM webhook_deliveries WHERE event_id = $1', [`alert.created:${alert!.id}`]);
    expect(deliveries).toEqual([{ status: 'succeeded' }]);
  });

  it('an event too large for NOTIFY is still recorded, and goes live as its ids only', async () => {
    const a = await connect(api.tokens.customerA);
    const event = {
      id: `subscription.updated:large-${randomBytes(4).toString('hex')}`,
      type: 'subscription.updated' as const,
      tenantId: api.tenants.a.id,
      occurredAt: new Date().toISOString(),
      data: { subscription: { subscriptionId: 'sub-large', state: 'active', pendingChange: { note: 'x'.repeat(9_000) } } },
    };
    expect(await withOperator(h.db.pool, (tx) => recordWebhookEvent(tx, event))).toBe(true);
    const live = await a.next((m) => m.eventId === event.id);
    expect(live).toEqual({
      type: 'subscription.updated',
      tenantId: api.tenants.a.id,
      at: event.occurredAt,
      eventId: event.id,
      subscription: { subscriptionId: 'sub-large' },
      truncated: true,
      receivedAt: expect.any(Number),
    });
    // The webhook keeps the whole body; a second record of the same id is a no-op (and not live again).
    const [row] = await h.ownerQuery<{ payload: { data: { subscription: { pendingChange: { note: string } } } } }>(
      'SELECT payload FROM webhook_outbox WHERE event_id = $1',
      [event.id],
    );
    expect(row!.payload.data.subscription.pendingChange.note).toHaveLength(9_000);
    expect(await withOperator(h.db.pool, (tx) => recordWebhookEvent(tx, event))).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.messages.filter((m) => m.eventId === event.id)).toHaveLength(1);
  });
});
