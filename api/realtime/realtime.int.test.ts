import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, TEST_AUTH, type TestApi } from '../../test/harness/api.ts';
import { raiseAlert } from '../../activities/alerts/raise-alert.ts';
import { WsTestClient as Client } from '../../test/harness/ws-client.ts';
import { publishEvent } from '../../db/postgres/realtime-events.ts';
import { createPrincipalResolver } from '../auth/principal.ts';
import { createRealtimeHub, createUsageTickPublisher, type RealtimeHub, type RealtimeHubOptions, type UsageTickPublisher } from './index.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let ticks: UsageTickPublisher;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

async function serve(options: Partial<RealtimeHubOptions> = {}): Promise<{ server: Server; hub: RealtimeHub; url: string; origin: string; stop: () => Promise<void> }> {
  const server = createServer(api.app.koa.callback());
  const hub = createRealtimeHub({ pg: db.pool, principalOfHeaders: createPrincipalResolver(TEST_AUTH, db.pool), logger, authTimeoutMs: 300, ...options });
  await hub.start();
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    hub,
    url: `ws://127.0.0.1:${port}/api/ws`,
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      await hub.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const clients: Client[] = [];
const connect = (url: string, options?: ConstructorParameters<typeof WebSocket>[2]) => {
  const c = new Client(url, options);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  ticks = createUsageTickPublisher(db.pool, { logger });
  api = await createTestApi({ db, clickhouse: ch.client, deps: { usageTicks: ticks } });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await ticks?.stop();
  await Promise.all([db?.drop(), ch?.dispose()]);
});

const ingest = (apiKey: string, ids: string[], type = 'api_call') =>
  api.request.post('/api/usage/ingest').set('X-API-Key', apiKey).send({ events: ids.map((id) => ({ id, type })) }).expect(202);

describe('/api/ws: live updates per role', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => s?.stop());

  it("a client of tenant A receives A's usage ticks and alerts within 2 s, and never anything of tenant B", async () => {
    const a = connect(s.url, bearer(api.tokens.customerA));
    const admin = connect(s.url, bearer(api.tokens.admin));
    await a.next((m) => m.type === 'ready');
    await admin.next((m) => m.type === 'ready');
    expect(a.messages[0]).toMatchObject({ type: 'ready', user: { role: 'customer', tenantId: api.tenants.a.id } });

    // When both tenants post usage
    const posted = Date.now();
    await Promise.all([ingest(api.apiKeys.a, ['a1', 'a2', 'a3']), ingest(api.apiKeys.b, ['b1', 'b2']), ingest(api.apiKeys.a, ['a4'], 'tokens')]);
    // Then A's client gets A's tick within 2 s (counts per event type)
    const tick = await a.next((m) => m.type === 'usage.tick');
    expect(tick.receivedAt - posted).toBeLessThan(2_000);
    expect(tick).toMatchObject({ type: 'usage.tick', tenantId: api.tenants.a.id, counts: { api_call: 3, tokens: 1 } });
    expect(Date.parse(tick.at as string)).not.toBeNaN();
    // and an operator gets both tenants'
    await admin.next((m) => m.type === 'usage.tick' && m.tenantId === api.tenants.b.id);

    // When alerts are raised for both tenants (as the scan activity does, through NOTIFY)
    const raisedAt = Date.now();
    const alert = (tenantId: string) => ({
      tenantId, meter: 'api_call', kind: 'usage_spike' as const, severity: 'warning' as const,
      windowStart: new Date(raisedAt - 300_000), windowEnd: new Date(raisedAt), observed: '2000', expected: '200', message: 'spike',
    });
    const [alertA] = await Promise.all([raiseAlert(db.pool, alert(api.tenants.a.id)), raiseAlert(db.pool, alert(api.tenants.b.id))]);
    const created = await a.next((m) => m.type === 'alert.created');
    expect(created.receivedAt - raisedAt).toBeLessThan(2_000);
    expect(created).toMatchObject({ tenantId: api.tenants.a.id, alert: { id: alertA!.id, kind: 'usage_spike', observed: '2000', expected: '200', window: { end: new Date(raisedAt).toISOString() } } });

    // Billing events that others publish are forwarded the same way
    await publishEvent(db.pool, { type: 'invoice.finalized', tenantId: api.tenants.b.id, at: new Date().toISOString(), invoice: { id: 'inv-b' } });
    await publishEvent(db.pool, { type: 'invoice.paid', tenantId: api.tenants.a.id, at: new Date().toISOString(), invoice: { id: 'inv-a' } });
    await a.next((m) => m.type === 'invoice.paid');
    await admin.next((m) => m.type === 'invoice.finalized' && m.tenantId === api.tenants.b.id);

    // Never B's (give stragglers a moment to arrive)
    await new Promise((r) => setTimeout(r, 1_200));
    expect(a.messages.filter((m) => m.tenantId !== undefined && m.tenantId !== api.tenants.a.id)).toEqual([]);
    expect(a.messages.filter((m) => m.type === 'alert.created')).toHaveLength(1);
  });

  it('sends at most one usage.tick per second per tenant, and loses no count', async () => {
    const a = connect(s.url, bearer(api.tokens.customerA));
    await a.next((m) => m.type === 'ready');
    for (let i = 0; i < 12; i += 1) {
      await ingest(api.apiKeys.a, [`burst-${i}-1`, `burst-${i}-2`]);
      await new Promise((r) => setTimeout(r, 150));
    }
    await new Promise((r) => setTimeout(r, 2_500));
    const received = a.messages.filter((m) => m.type === 'usage.tick');
    expect(received.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < received.length; i += 1) expect(received[i]!.receivedAt - received[i - 1]!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(received.reduce((n, m) => n + ((m.counts as Record<string, number>).api_call ?? 0), 0)).toBe(24);
  });

  it('a customer may narrow to their own tenant but not subscribe to another; an operator may narrow to one', async () => {
    const a = connect(s.url, bearer(api.tokens.customerA));
    await a.next((m) => m.type === 'ready');
    a.send({ type: 'subscribe', tenantIds: [api.tenants.b.id] });
    await a.next((m) => m.type === 'error');
    const admin = connect(s.url, bearer(api.tokens.admin));
    await admin.next((m) => m.type === 'ready');
    admin.send({ type: 'subscribe', tenantIds: [api.tenants.b.id] });
    await admin.next((m) => m.type === 'subscribed');
    await publishEvent(db.pool, { type: 'subscription.updated', tenantId: api.tenants.a.id, at: new Date().toISOString() });
    await publishEvent(db.pool, { type: 'subscription.updated', tenantId: api.tenants.b.id, at: new Date().toISOString() });
    await admin.next((m) => m.type === 'subscription.updated');
    await a.next((m) => m.type === 'subscription.updated');
    await new Promise((r) => setTimeout(r, 300));
    expect(admin.messages.filter((m) => m.type === 'subscription.updated').map((m) => m.tenantId)).toEqual([api.tenants.b.id]);
    a.send({ type: 'ping' });
    await a.next((m) => m.type === 'pong');
  });
});

describe('/api/ws: authentication (cookie, bearer header or first message; api/README.md, Live updates)', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => s?.stop());

  it('accepts the session cookie from the same origin, and a first auth message', async () => {
    const cookie = connect(s.url, { headers: { Cookie: `mp_session=${api.tokens.customerB}`, Origin: s.origin } });
    await cookie.next((m) => m.type === 'ready' && (m.user as { tenantId: string }).tenantId === api.tenants.b.id);
    const message = connect(s.url);
    await message.opened();
    message.send({ type: 'auth', token: api.tokens.finance });
    await message.next((m) => m.type === 'ready' && (m.user as { role: string }).role === 'finance');
  });

  it.each<[string, ConstructorParameters<typeof WebSocket>[2] | undefined, unknown]>([
    ['no credential and no auth message within the time limit', undefined, undefined],
    ['an invalid bearer token', bearer('not-a-jwt'), undefined],
    ['a token signed with another secret', bearer(`${'eyJhbGciOiJIUzI1NiJ9'}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`), undefined],
    ['a first message that is not auth', undefined, { type: 'subscribe', tenantIds: null }],
    ['an auth message with a bad token', undefined, { type: 'auth', token: 'nope' }],
    ['a first message that is not JSON', undefined, 'hello'],
  ])('refuses %s with 4401', async (_name, options, firstMessage) => {
    const c = connect(s.url, options);
    await c.opened();
    if (firstMessage !== undefined) c.ws.send(typeof firstMessage === 'string' ? firstMessage : JSON.stringify(firstMessage));
    expect((await c.closed).code).toBe(4401);
    expect(c.messages.filter((m) => m.type !== 'error')).toEqual([]);
  });

  it('refuses an API key (for posting usage only) and a cross-site cookie with 4401', async () => {
    const key = connect(s.url, { headers: { 'X-API-Key': api.apiKeys.a } });
    expect((await key.closed).code).toBe(4401);
    const crossSite = connect(s.url, { headers: { Cookie: `mp_session=${api.tokens.customerA}`, Origin: 'https://evil.example' } });
    expect((await crossSite.closed).code).toBe(4401);
    expect(crossSite.messages).toEqual([]);
  });

  it('leaves other upgrade paths alone', async () => {
    const other = connect(s.url.replace('/api/ws', '/api/other'), bearer(api.tokens.admin));
    await expect(other.opened()).rejects.toThrow();
  });
});

describe('/api/ws: heartbeats, slow clients and clean close', () => {
  it('drops a client that stops answering pings', async () => {
    const s = await serve({ heartbeatMs: 150 });
    try {
      const silent = connect(s.url, { ...bearer(api.tokens.customerA), autoPong: false });
      const healthy = connect(s.url, bearer(api.tokens.customerA));
      await silent.next((m) => m.type === 'ready');
      await healthy.next((m) => m.type === 'ready');
      expect((await silent.closed).code).toBe(1006);
      await new Promise((r) => setTimeout(r, 400));
      expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
      expect(s.hub.connections()).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('drops a client that does not read, instead of buffering without bound', async () => {
    const s = await serve({ maxBufferedBytes: 256 * 1024 });
    try {
      const slow = connect(s.url, bearer(api.tokens.admin));
      await slow.next((m) => m.type === 'ready');
      // The client stops reading: the server's socket fills, then its send buffer.
      (slow.ws as unknown as { _socket: { pause: () => void } })._socket.pause();
      const padding = 'x'.repeat(7_000);
      for (let i = 0; i < 20_000 && s.hub.connections() > 0; i += 1) {
        s.hub.deliver({ type: 'invoice.finalized', tenantId: api.tenants.a.id, at: new Date().toISOString(), padding });
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(s.hub.connections()).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('closes every connection with 1001 when the server stops', async () => {
    const s = await serve();
    const c = connect(s.url, bearer(api.tokens.customerA));
    await c.next((m) => m.type === 'ready');
    await s.stop();
    expect((await c.closed).code).toBe(1001);
  });
});
