import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTestEnvironment } from '../harness/environment.ts';
import { stubDns } from '../harness/stub-dns.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../harness/webhook-receiver.ts';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import { webhookDeliveryWorkflowId as deliveryWorkflowId } from '../../workflows/contract.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import type { WebhookEvent } from '../../domain/webhooks/events.ts';

// Webhook destinations (SSRF): with private destinations refused, an endpoint may not point
// at loopback, private or link-local addresses, neither when it is created nor when a
// delivery resolves its name later. The receivers are real HTTP servers on loopback, so a
// refusal is seen as "the receiver got nothing".

const env = useTestEnvironment();
let temporal: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
/** Private destinations refused, real DNS (localhost comes from /etc/hosts). */
let closed: TestApi;
/** Private destinations refused; names resolve from `publicDns` (addresses no test connects to). */
let closedStubbed: TestApi;
/** Production: https required (private allowed here, so the https rule is what refuses). */
let httpsOnly: TestApi;

const publicDns = stubDns({ 'rebind.test': [{ address: '93.184.215.14', family: 4 }] });

beforeAll(async () => {
  temporal = await timeSkippingEnvironment();
  receiver = await startWebhookReceiver();
  closed = await createTestApi({
    db: env.db,
    clickhouse: env.ch.client,
    deps: { webhookDestinations: { allowPrivate: false, requireHttps: false } },
  });
  closedStubbed = await createTestApi({
    db: env.db,
    clickhouse: env.ch.client,
    deps: { webhookDestinations: { allowPrivate: false, requireHttps: false, resolve: publicDns.resolve } },
  });
  httpsOnly = await createTestApi({
    db: env.db,
    clickhouse: env.ch.client,
    deps: { webhookDestinations: { allowPrivate: true, requireHttps: true } },
  });
});
afterAll(async () => {
  await receiver?.close();
  await temporal?.teardown();
});

const admin = (api: TestApi) => ({ Authorization: `Bearer ${api.tokens.admin}` });
const port = () => new URL(receiver.url).port;
let seq = 0;
const invoicePaid = (): WebhookEvent => ({
  id: `invoice.paid:dest-${++seq}`,
  type: 'invoice.paid',
  tenantId: env.api.tenants.a.id,
  occurredAt: '2026-03-01T00:00:00.000Z',
  data: { n: seq },
});

/** Creates an endpoint through `api`; each test deletes its own so later emits do not reach it. */
async function createEndpoint(api: TestApi, url: string): Promise<string> {
  const res = await api.request
    .post('/api/webhooks')
    .set(admin(api))
    .send({ url, events: ['invoice.paid'] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}
const deleteEndpoint = async (id: string) =>
  expect((await env.api.request.delete(`/api/webhooks/${id}`).set(admin(env.api))).status).toBe(204);
const attemptsOf = async (endpointId: string) =>
  (await env.api.request.get(`/api/webhooks/${endpointId}/deliveries`).set(admin(env.api))).body.items as {
    status: string;
    attempts: { statusCode: number | null; error: string | null }[];
  }[];

/** Emits one event and runs its delivery workflow to the end with a worker built from `deps`. */
async function deliverThroughWorkflow(deps: Partial<ActivityDeps>): Promise<{ outcome: string; deliveryId: string }> {
  const full = { pg: env.db.pool, clickhouse: env.ch.client, temporal: temporal.client, ...deps };
  const [deliveryId] = await createActivities(withWorkflowContract(full)).emitWebhookEvent(invoicePaid());
  expect(deliveryId).toBeDefined();
  const worker = await createBillingWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    workflowBundlePath: inject('workflowBundlePath'),
    deps: full,
  });
  const outcome = await worker.runUntil(temporal.client.workflow.getHandle(deliveryWorkflowId(deliveryId!)).result());
  return { outcome, deliveryId: deliveryId! };
}

describe('webhook destinations', () => {
  it('refuses endpoints at non-public addresses with 400 naming url, and writes none of them', async () => {
    const before = receiver.received.length;
    const urls = [
      [receiver.url, '127.0.0.1 is not publicly reachable (loopback)'],
      [`http://localhost:${port()}/hooks`, 'localhost resolves to'],
      [`http://0x7f000001:${port()}/hooks`, '127.0.0.1 is not publicly reachable (loopback)'],
      [`http://2130706433:${port()}/hooks`, '127.0.0.1 is not publicly reachable (loopback)'],
      [`http://[::ffff:127.0.0.1]:${port()}/hooks`, '::ffff:7f00:1 is not publicly reachable (loopback)'],
      [`http://[::1]:${port()}/hooks`, '::1 is not publicly reachable (loopback)'],
      [`http://0.0.0.0:${port()}/hooks`, '0.0.0.0 is not publicly reachable (unspecified)'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is not publicly reachable (link-local)'],
      ['http://10.0.0.8/hooks', '10.0.0.8 is not publicly reachable (private)'],
      ['http://100.64.0.1/hooks', '100.64.0.1 is not publicly reachable (shared (carrier-grade NAT))'],
      ['http://[fd00::1]/hooks', 'fd00::1 is not publicly reachable (unique-local)'],
    ] as const;
    for (const [url, reason] of urls) {
      const res = await closed.request
        .post('/api/webhooks')
        .set(admin(closed))
        .send({ url, events: ['invoice.paid'] });
      expect(res.status, url).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail, url).toContain(`url: ${reason}`);
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
    const unresolvable = await closedStubbed.request
      .post('/api/webhooks')
      .set(admin(closedStubbed))
      .send({ url: 'http://nowhere.test/hooks', events: ['invoice.paid'] });
    expect(unresolvable.status).toBe(400);
    expect(unresolvable.body.detail).toBe('url: the host name nowhere.test could not be resolved (ENOTFOUND)');

    const listed = (await env.api.request.get('/api/webhooks').set(admin(env.api))).body.items as { url: string }[];
    expect(listed.filter((e) => urls.some(([url]) => e.url === url) || e.url.includes('nowhere.test'))).toEqual([]);
    expect(receiver.received.length).toBe(before); // creating probes nothing
  });

  it('requires https where told to (production), naming url', async () => {
    const plain = await httpsOnly.request
      .post('/api/webhooks')
      .set(admin(httpsOnly))
      .send({ url: 'http://hooks.example.com/x', events: ['invoice.paid'] });
    expect(plain.status).toBe(400);
    expect(plain.body.detail).toBe('url: must use https');
    const id = await createEndpoint(httpsOnly, 'https://hooks.example.com/x');
    await deleteEndpoint(id);
  });

  it('refuses at delivery a name that now resolves to loopback (DNS rebinding): one failed attempt, no retry, nothing received', async () => {
    // Created while rebind.test resolved to a public address…
    const id = await createEndpoint(closedStubbed, `http://rebind.test:${port()}/hooks`);
    try {
      // …delivered after it started resolving to the loopback receiver.
      const rebound = stubDns({ 'rebind.test': [{ address: '127.0.0.1', family: 4 }] });
      const before = receiver.received.length;
      const { outcome } = await deliverThroughWorkflow({
        webhookDestinations: { allowPrivate: false, requireHttps: false, resolve: rebound.resolve },
      });
      expect(outcome).toBe('failed');
      expect(receiver.received.length).toBe(before);
      const [delivery] = await attemptsOf(id);
      expect(delivery!.status).toBe('failed');
      // One attempt although the retry policy allows 24 h (the time-skipping server would have run them all).
      expect(delivery!.attempts).toEqual([
        {
          statusCode: null,
          error: 'destination refused: rebind.test resolves to 127.0.0.1, which is not publicly reachable (loopback)',
          durationMs: expect.any(Number),
          at: expect.any(String),
          attempt: 1,
        },
      ]);
    } finally {
      await deleteEndpoint(id);
    }
  });

  it('refuses at delivery an endpoint at localhost, through the real resolver', async () => {
    // Created where private destinations were allowed (env.api), delivered where they are not.
    const id = await createEndpoint(env.api, `http://localhost:${port()}/hooks`);
    try {
      const before = receiver.received.length;
      const { outcome } = await deliverThroughWorkflow({ webhookDestinations: { allowPrivate: false, requireHttps: false } });
      expect(outcome).toBe('failed');
      expect(receiver.received.length).toBe(before);
      const [delivery] = await attemptsOf(id);
      expect(delivery!.attempts).toHaveLength(1);
      expect(delivery!.attempts[0]!.error).toMatch(
        /^destination refused: localhost resolves to (127\.0\.0\.1|::1), which is not publicly reachable \(loopback\)$/,
      );
    } finally {
      await deleteEndpoint(id);
    }
  });

  it('connects to the address it checked: one resolution per attempt, no second DNS answer', async () => {
    // pinned.test is a name the system resolver cannot answer: the delivery arrives only
    // if the connection uses the resolver's answer that the check saw.
    const id = await createEndpoint(env.api, `http://pinned.test:${port()}/hooks`);
    try {
      const dns = stubDns({ 'pinned.test': [{ address: '127.0.0.1', family: 4 }] });
      const before = receiver.received.length;
      const { outcome } = await deliverThroughWorkflow({
        webhookDestinations: { allowPrivate: true, requireHttps: false, resolve: dns.resolve },
      });
      expect(outcome).toBe('succeeded');
      expect(dns.asked).toEqual(['pinned.test']);
      const got = receiver.received.slice(before);
      expect(got).toHaveLength(1);
      expect(got[0]!.headers.host).toBe(`pinned.test:${port()}`);
    } finally {
      await deleteEndpoint(id);
    }
  });

  it('does not follow a redirect: a 3xx is a failed attempt and the redirect target gets nothing', async () => {
    const target = await startWebhookReceiver();
    const redirecting = await startWebhookReceiver({ redirectTo: target.url });
    const id = await createEndpoint(env.api, redirecting.url);
    try {
      // One attempt, by calling the activity itself: its retries are the workflow's business.
      const delivery = await withOperator(env.db.pool, (tx) =>
        webhooksRepository.enqueue(tx, {
          endpointId: id,
          eventId: 'redirect-1',
          eventType: 'invoice.paid',
          tenantId: null,
          payload: { type: 'invoice.paid' },
        }),
      );
      const activities = createActivities(withWorkflowContract({ pg: env.db.pool, clickhouse: env.ch.client }));
      await expect(activities.deliverWebhook(delivery.id)).rejects.toMatchObject({
        message: 'the endpoint answered 307',
        nonRetryable: false,
      });
      expect(redirecting.received.map((r) => r.answered)).toEqual([307]);
      expect(target.received).toEqual([]);
    } finally {
      await deleteEndpoint(id);
      await Promise.all([target.close(), redirecting.close()]);
    }
  });
});
