import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiseAlert } from '../../activities/alerts/raise-alert.ts';
import { publishEvent } from '../../db/postgres/realtime-events.ts';
import { bearer, useRealtimeEnvironment, type RealtimeServer } from '../../test/harness/realtime-server.ts';

// Live events on /api/ws per role: what a client of one tenant, and an operator, receive.
// Authentication, heartbeats and shutdown: ws-connections.int.test.ts; hostile input:
// hostile-input.int.test.ts and hostile-http.int.test.ts.

const env = useRealtimeEnvironment();

const ingest = (apiKey: string, ids: string[], type = 'api_call') =>
  env.api.request
    .post('/api/usage/ingest')
    .set('X-API-Key', apiKey)
    .send({ events: ids.map((id) => ({ id, type })) })
    .expect(202);

describe('/api/ws: live updates per role', () => {
  let s: RealtimeServer;
  beforeAll(async () => {
    s = await env.serve();
  });
  afterAll(async () => s?.stop());

  it("a client of tenant A receives A's usage ticks and alerts within 2 s, and never anything of tenant B", async () => {
    const a = env.connect(s.url, bearer(env.api.tokens.customerA));
    const admin = env.connect(s.url, bearer(env.api.tokens.admin));
    await a.next((m) => m.type === 'ready');
    await admin.next((m) => m.type === 'ready');
    expect(a.messages[0]).toMatchObject({ type: 'ready', user: { role: 'customer', tenantId: env.api.tenants.a.id } });

    // When both tenants post usage
    const posted = Date.now();
    await Promise.all([
      ingest(env.api.apiKeys.a, ['a1', 'a2', 'a3']),
      ingest(env.api.apiKeys.b, ['b1', 'b2']),
      ingest(env.api.apiKeys.a, ['a4'], 'tokens'),
    ]);
    // Then A's client gets A's tick within 2 s (counts per event type)
    const tick = await a.next((m) => m.type === 'usage.tick');
    expect(tick.receivedAt - posted).toBeLessThan(2_000);
    expect(tick).toMatchObject({ type: 'usage.tick', tenantId: env.api.tenants.a.id, counts: { api_call: 3, tokens: 1 } });
    expect(Date.parse(tick.at as string)).not.toBeNaN();
    // and an operator gets both tenants'
    await admin.next((m) => m.type === 'usage.tick' && m.tenantId === env.api.tenants.b.id);

    // When alerts are raised for both tenants (as the scan activity does, through NOTIFY)
    const raisedAt = Date.now();
    const alert = (tenantId: string) => ({
      tenantId,
      meter: null,
      eventType: 'api_call',
      kind: 'usage_spike' as const,
      severity: 'warning' as const,
      windowStart: new Date(raisedAt - 300_000),
      windowEnd: new Date(raisedAt),
      observed: '2000',
      expected: '200',
      message: 'spike',
    });
    const [alertA] = await Promise.all([
      raiseAlert(env.db.pool, alert(env.api.tenants.a.id)),
      raiseAlert(env.db.pool, alert(env.api.tenants.b.id)),
    ]);
    const created = await a.next((m) => m.type === 'alert.created');
    expect(created.receivedAt - raisedAt).toBeLessThan(2_000);
    expect(created).toMatchObject({
      tenantId: env.api.tenants.a.id,
      alert: { id: alertA!.id, kind: 'usage_spike', observed: '2000', expected: '200', window: { end: new Date(raisedAt).toISOString() } },
    });

    // Billing events that others publish are forwarded the same way
    await publishEvent(env.db.pool, {
      type: 'invoice.finalized',
      tenantId: env.api.tenants.b.id,
      at: new Date().toISOString(),
      invoice: { id: 'inv-b' },
    });
    await publishEvent(env.db.pool, {
      type: 'invoice.paid',
      tenantId: env.api.tenants.a.id,
      at: new Date().toISOString(),
      invoice: { id: 'inv-a' },
    });
    await a.next((m) => m.type === 'invoice.paid');
    await admin.next((m) => m.type === 'invoice.finalized' && m.tenantId === env.api.tenants.b.id);

    // Never B's (give stragglers a moment to arrive)
    await new Promise((r) => setTimeout(r, 1_200));
    expect(a.messages.filter((m) => m.tenantId !== undefined && m.tenantId !== env.api.tenants.a.id)).toEqual([]);
    expect(a.messages.filter((m) => m.type === 'alert.created')).toHaveLength(1);
  });

  it('sends at most one usage.tick per second per tenant, and loses no count', async () => {
    const a = env.connect(s.url, bearer(env.api.tokens.customerA));
    await a.next((m) => m.type === 'ready');
    for (let i = 0; i < 12; i += 1) {
      await ingest(env.api.apiKeys.a, [`burst-${i}-1`, `burst-${i}-2`]);
      await new Promise((r) => setTimeout(r, 150));
    }
    await new Promise((r) => setTimeout(r, 2_500));
    const received = a.messages.filter((m) => m.type === 'usage.tick');
    expect(received.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < received.length; i += 1) expect(received[i]!.receivedAt - received[i - 1]!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(received.reduce((n, m) => n + ((m.counts as Record<string, number>).api_call ?? 0), 0)).toBe(24);
  });

  it('a customer may narrow to their own tenant but not subscribe to another; an operator may narrow to one', async () => {
    const a = env.connect(s.url, bearer(env.api.tokens.customerA));
    await a.next((m) => m.type === 'ready');
    a.send({ type: 'subscribe', tenantIds: [env.api.tenants.b.id] });
    await a.next((m) => m.type === 'error');
    const admin = env.connect(s.url, bearer(env.api.tokens.admin));
    await admin.next((m) => m.type === 'ready');
    admin.send({ type: 'subscribe', tenantIds: [env.api.tenants.b.id] });
    await admin.next((m) => m.type === 'subscribed');
    await publishEvent(env.db.pool, { type: 'subscription.updated', tenantId: env.api.tenants.a.id, at: new Date().toISOString() });
    await publishEvent(env.db.pool, { type: 'subscription.updated', tenantId: env.api.tenants.b.id, at: new Date().toISOString() });
    await admin.next((m) => m.type === 'subscription.updated');
    await a.next((m) => m.type === 'subscription.updated');
    await new Promise((r) => setTimeout(r, 300));
    expect(admin.messages.filter((m) => m.type === 'subscription.updated').map((m) => m.tenantId)).toEqual([env.api.tenants.b.id]);
    a.send({ type: 'ping' });
    await a.next((m) => m.type === 'pong');
  });
});
