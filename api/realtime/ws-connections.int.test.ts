import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bearer, useRealtimeEnvironment, type RealtimeServer } from '../../test/harness/realtime-server.ts';

// /api/ws connections: who may open one, and how they end (heartbeats, slow clients, shutdown).

const env = useRealtimeEnvironment();

describe('/api/ws: authentication (cookie, bearer header or first message; api/README.md, Live updates)', () => {
  let s: RealtimeServer;
  beforeAll(async () => {
    s = await env.serve();
  });
  afterAll(async () => s?.stop());

  it('accepts the session cookie from the same origin, and a first auth message', async () => {
    const cookie = env.connect(s.url, { headers: { Cookie: `mp_session=${env.api.tokens.customerB}`, Origin: s.origin } });
    await cookie.next((m) => m.type === 'ready' && (m.user as { tenantId: string }).tenantId === env.api.tenants.b.id);
    const message = env.connect(s.url);
    await message.opened();
    message.send({ type: 'auth', token: env.api.tokens.finance });
    await message.next((m) => m.type === 'ready' && (m.user as { role: string }).role === 'finance');
  });

  it.each<[string, ConstructorParameters<typeof WebSocket>[2] | undefined, unknown]>([
    ['no credential and no auth message within the time limit', undefined, undefined],
    ['an invalid bearer token', bearer('not-a-jwt'), undefined],
    [
      'a token signed with another secret',
      bearer(`${'eyJhbGciOiJIUzI1NiJ9'}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`),
      undefined,
    ],
    ['a first message that is not auth', undefined, { type: 'subscribe', tenantIds: null }],
    ['an auth message with a bad token', undefined, { type: 'auth', token: 'nope' }],
    ['a first message that is not JSON', undefined, 'hello'],
  ])('refuses %s with 4401', async (_name, options, firstMessage) => {
    const c = env.connect(s.url, options);
    await c.opened();
    if (firstMessage !== undefined) c.ws.send(typeof firstMessage === 'string' ? firstMessage : JSON.stringify(firstMessage));
    expect((await c.closed).code).toBe(4401);
    expect(c.messages.filter((m) => m.type !== 'error')).toEqual([]);
  });

  it('refuses an API key (for posting usage only) and a cross-site cookie with 4401', async () => {
    const key = env.connect(s.url, { headers: { 'X-API-Key': env.api.apiKeys.a } });
    expect((await key.closed).code).toBe(4401);
    const crossSite = env.connect(s.url, { headers: { Cookie: `mp_session=${env.api.tokens.customerA}`, Origin: 'https://evil.example' } });
    expect((await crossSite.closed).code).toBe(4401);
    expect(crossSite.messages).toEqual([]);
  });

  it('leaves other upgrade paths alone', async () => {
    const other = env.connect(s.url.replace('/api/ws', '/api/other'), bearer(env.api.tokens.admin));
    await expect(other.opened()).rejects.toThrow();
  });
});

describe('/api/ws: heartbeats, slow clients and clean close', () => {
  it('drops a client that stops answering pings', async () => {
    const s = await env.serve({ heartbeatMs: 150 });
    try {
      const silent = env.connect(s.url, { ...bearer(env.api.tokens.customerA), autoPong: false });
      const healthy = env.connect(s.url, bearer(env.api.tokens.customerA));
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
    const s = await env.serve({ maxBufferedBytes: 256 * 1024 });
    try {
      const slow = env.connect(s.url, bearer(env.api.tokens.admin));
      await slow.next((m) => m.type === 'ready');
      // The client stops reading: the server's socket fills, then its send buffer.
      (slow.ws as unknown as { _socket: { pause: () => void } })._socket.pause();
      const padding = 'x'.repeat(7_000);
      for (let i = 0; i < 20_000 && s.hub.connections() > 0; i += 1) {
        s.hub.deliver({ type: 'invoice.finalized', tenantId: env.api.tenants.a.id, at: new Date().toISOString(), padding });
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      expect(s.hub.connections()).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('closes every connection with 1001 when the server stops', async () => {
    const s = await env.serve();
    const c = env.connect(s.url, bearer(env.api.tokens.customerA));
    await c.next((m) => m.type === 'ready');
    await s.stop();
    expect((await c.closed).code).toBe(1001);
  });
});
