import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import request from 'supertest';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { useTestEnvironment } from '../harness/environment.ts';
import { TEST_AUTH, TEST_PASSWORD } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { createApp } from '../../api/app.ts';
import { createRealtimeHub, CLOSE_UNAUTHENTICATED } from '../../api/realtime/index.ts';
import { SESSION_STATE_CACHE_MS } from '../../api/auth/session-check.ts';
import { createPrincipalResolver } from '../../api/auth/principal.ts';

const env = useTestEnvironment();
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A second API replica over the same database: its own caches, nothing shared in memory. */
let replicaB: ReturnType<typeof request> | undefined;
const replicas = () => {
  replicaB ??= request(
    createApp({ logger, pg: env.db.pool, clickhouse: env.ch.client, temporal: undefined as never, auth: TEST_AUTH }).koa.callback(),
  );
  return { a: env.api.request, b: replicaB };
};

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const asAdmin = () => bearer(env.api.tokens.admin);
let seq = 0;

async function login(email: string, password = TEST_PASSWORD) {
  return env.api.request.post('/api/auth/login').send({ email, password });
}

/** A new user of the role, created by an admin (the seeded one by default) and signed in. */
async function newUser(role: 'admin' | 'finance' | 'customer', tenantId?: string, by = env.api.tokens.admin) {
  const email = `user-${Date.now()}-${++seq}@example.test`;
  const created = await env.api.request
    .post('/api/users')
    .set(bearer(by))
    .send({ email, password: TEST_PASSWORD, role, ...(tenantId ? { tenantId } : {}) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const session = await login(email);
  expect(session.status).toBe(200);
  return { id: created.body.id as string, email, token: session.body.token as string };
}

const patch = (id: string, body: object, headers = asAdmin(), agent = env.api.request) =>
  agent.patch(`/api/users/${id}`).set(headers).send(body);

/** Polls until the request answers `status`; returns the milliseconds it took. */
async function msUntil(status: number, call: () => Promise<{ status: number }>, withinMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await call();
    if (res.status === status) return Date.now() - started;
    expect(Date.now() - started, `still ${res.status} after ${withinMs} ms`).toBeLessThan(withinMs);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ownerQuery<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const owner = await env.db.owner();
  try {
    return (await owner.query(text, values)).rows as T[];
  } finally {
    await owner.end();
  }
}
const snapshotUsers = async () => JSON.stringify(await ownerQuery('SELECT * FROM users ORDER BY id'));
const activeAdmins = async () =>
  (await ownerQuery<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND deactivated_at IS NULL ORDER BY id`)).map((r) => r.id);

describe('deactivating a user', () => {
  it('signs them out on two replicas within 5 s, and they cannot sign in again (401, the wrong-password answer)', async () => {
    const { a, b } = replicas();
    const user = await newUser('customer', env.api.tenants.a.id);
    // Given both replicas have just accepted the token (so each has it cached as valid)
    expect((await a.get('/api/auth/me').set(bearer(user.token))).status).toBe(200);
    expect((await b.get('/api/auth/me').set(bearer(user.token))).status).toBe(200);

    // When an admin deactivates the user on replica A
    const res = await patch(user.id, { active: false });
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('patch', `/api/users/${user.id}`, res);
    expect(res.body).toEqual({ id: user.id, email: user.email, role: 'customer', tenantId: env.api.tenants.a.id, active: false });

    // Then the old token is refused by both replicas within 5 s
    const [msA, msB] = await Promise.all([
      msUntil(401, () => a.get(`/api/tenants/${env.api.tenants.a.id}`).set(bearer(user.token))),
      msUntil(401, () => b.get(`/api/tenants/${env.api.tenants.a.id}`).set(bearer(user.token))),
    ]);
    expect(msA).toBeLessThan(5_000);
    expect(msB).toBeLessThan(5_000);
    expect(Math.max(msA, msB)).toBeLessThanOrEqual(SESSION_STATE_CACHE_MS + 1_000);

    // and the right password is answered exactly like a wrong one
    const refused = await login(user.email);
    const wrong = await login(user.email, 'not the password');
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toBe(wrong.body.detail);

    // and the user list says so
    const list = await env.api.request.get('/api/users?limit=200').set(asAdmin());
    expectResponseMatchesSpec('get', '/api/users', list);
    expect(list.body.items.find((u: { id: string }) => u.id === user.id)).toMatchObject({ active: false });
  });

  it('reactivating lets them sign in again, but the tokens issued before stay dead', async () => {
    const user = await newUser('finance');
    expect((await patch(user.id, { active: false })).status).toBe(200);
    expect((await patch(user.id, { active: true })).body).toMatchObject({ active: true });
    const again = await login(user.email);
    expect(again.status).toBe(200);
    expect((await env.api.request.get('/api/auth/me').set(bearer(again.body.token))).status).toBe(200);
    await msUntil(401, () => env.api.request.get('/api/auth/me').set(bearer(user.token)));
  });

  it('closes their open WebSocket with 4401 within about 5 s, and the token cannot open a new one', async () => {
    const server = createServer(env.api.app.koa.callback());
    const hub = createRealtimeHub({
      pg: env.db.pool,
      principalOfHeaders: createPrincipalResolver(TEST_AUTH, env.db.pool),
      logger,
      authTimeoutMs: 1_000,
    });
    await hub.start();
    hub.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/api/ws`;
    const open = (token: string, via: 'header' | 'message') => {
      const ws = new WebSocket(url, via === 'header' ? { headers: bearer(token) } : {});
      const messages: { type: string }[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
      ws.on('error', () => {});
      if (via === 'message') ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
      const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
      const ready = async () => {
        for (let i = 0; i < 100 && !messages.some((m) => m.type === 'ready'); i++) await new Promise((r) => setTimeout(r, 20));
        return messages.some((m) => m.type === 'ready');
      };
      return { ws, closed, ready };
    };
    try {
      const user = await newUser('customer', env.api.tenants.b.id);
      const byHeader = open(user.token, 'header');
      const byMessage = open(user.token, 'message');
      expect(await byHeader.ready()).toBe(true);
      expect(await byMessage.ready()).toBe(true);

      const deactivatedAt = Date.now();
      expect((await patch(user.id, { active: false })).status).toBe(200);
      for (const c of [byHeader, byMessage]) {
        const { code, at } = await c.closed;
        expect(code).toBe(CLOSE_UNAUTHENTICATED);
        expect(at - deactivatedAt).toBeLessThan(6_000);
      }
      for (const via of ['header', 'message'] as const) {
        const again = open(user.token, via);
        expect((await again.closed).code).toBe(CLOSE_UNAUTHENTICATED);
      }
    } finally {
      await hub.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('changing a role', () => {
  it('makes the old token stop working; a new sign-in carries the new role and tenant', async () => {
    const user = await newUser('finance');
    expect((await env.api.request.get('/api/tenants').set(bearer(user.token))).status).toBe(200);

    const res = await patch(user.id, { role: 'customer', tenantId: env.api.tenants.a.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: 'customer', tenantId: env.api.tenants.a.id, active: true });

    expect(await msUntil(401, () => env.api.request.get('/api/tenants').set(bearer(user.token)))).toBeLessThan(5_000);
    const again = await login(user.email);
    expect(again.body.user).toMatchObject({ role: 'customer', tenantId: env.api.tenants.a.id });
    expect((await env.api.request.get('/api/tenants').set(bearer(again.body.token))).status).toBe(403);
    expect((await env.api.request.get(`/api/tenants/${env.api.tenants.a.id}`).set(bearer(again.body.token))).status).toBe(200);
    expect((await env.api.request.get(`/api/tenants/${env.api.tenants.b.id}`).set(bearer(again.body.token))).status).toBe(404);
  });

  it("a demoted admin's old token loses admin rights on both replicas", async () => {
    const { a, b } = replicas();
    const admin = await newUser('admin');
    expect((await a.get('/api/users').set(bearer(admin.token))).status).toBe(200);
    expect((await b.get('/api/users').set(bearer(admin.token))).status).toBe(200);
    expect((await patch(admin.id, { role: 'finance' })).status).toBe(200);
    const [msA, msB] = await Promise.all([
      msUntil(401, () => a.get('/api/users').set(bearer(admin.token))),
      msUntil(401, () => b.get('/api/users').set(bearer(admin.token))),
    ]);
    expect(Math.max(msA, msB)).toBeLessThan(5_000);
  });

  it('asking for what the user already is changes nothing and keeps their token valid', async () => {
    const user = await newUser('finance');
    expect((await patch(user.id, { role: 'finance', active: true })).status).toBe(200);
    await new Promise((r) => setTimeout(r, SESSION_STATE_CACHE_MS + 200));
    expect((await env.api.request.get('/api/auth/me').set(bearer(user.token))).status).toBe(200);
  });
});

describe('PATCH /api/users/:id refuses bad input with 400 naming the field, and writes nothing', () => {
  const cases: [string, (tenantId: string) => object, string][] = [
    ['an empty body', () => ({}), 'body'],
    ['role customer without tenantId', () => ({ role: 'customer' }), 'tenantId'],
    ['a tenantId for finance', (t) => ({ role: 'finance', tenantId: t }), 'tenantId'],
    ['a tenantId without a role', (t) => ({ tenantId: t, active: true }), 'tenantId'],
    ['a tenantId that is not a uuid', () => ({ role: 'customer', tenantId: 'tenant-a' }), 'tenantId'],
    ['active as a string', () => ({ active: 'false' }), 'active'],
    ['an unknown role', () => ({ role: 'owner' }), 'role'],
    ['a 100 kB role', () => ({ role: 'x'.repeat(100_000) }), 'role'],
    ['an unknown field', () => ({ active: false, colour: 'red' }), 'colour'],
  ];
  it.each(cases)('%s', async (_name, body, field) => {
    const before = await snapshotUsers();
    const res = await patch(env.api.users.customerA.id, body(env.api.tenants.a.id));
    expect(res.status).toBe(400);
    expectResponseMatchesSpec('patch', `/api/users/${env.api.users.customerA.id}`, res);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(res.body.detail).toContain(field);
    expect(await snapshotUsers()).toBe(before);
  });

  it('a tenant that does not exist is 400 naming tenantId', async () => {
    const before = await snapshotUsers();
    const res = await patch(env.api.users.finance.id, { role: 'customer', tenantId: randomUUID() });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('tenantId: no such tenant');
    expect(await snapshotUsers()).toBe(before);
  });

  it('an id that is not a uuid is 400, an unknown user is 404', async () => {
    const bad = await patch('not-a-uuid', { active: false });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toMatch(/id$/);
    const unknown = await patch(randomUUID(), { active: false });
    expect(unknown.status).toBe(404);
    expectResponseMatchesSpec('patch', `/api/users/${randomUUID()}`, unknown);
  });

  it.each(['finance', 'customerA'] as const)('%s gets 403 and nothing changes', async (caller) => {
    const victim = await newUser('customer', env.api.tenants.a.id);
    const before = await snapshotUsers();
    const res = await patch(victim.id, { active: false }, bearer(env.api.tokens[caller]));
    expect(res.status).toBe(403);
    expectResponseMatchesSpec('patch', `/api/users/${victim.id}`, res);
    expect(await snapshotUsers()).toBe(before);
    expect((await env.api.request.get('/api/auth/me').set(bearer(victim.token))).status).toBe(200);
  });
});

describe('guard rails on admins', () => {
  it('the last active admin cannot demote or deactivate themselves (409); nothing changes', async () => {
    expect(await activeAdmins()).toEqual([env.api.users.admin.id]);
    const before = await snapshotUsers();
    const demote = await patch(env.api.users.admin.id, { role: 'finance' });
    expect(demote.status).toBe(409);
    expectResponseMatchesSpec('patch', `/api/users/${env.api.users.admin.id}`, demote);
    expect(demote.body.errors).toEqual([{ field: 'role', message: expect.stringMatching(/last active admin/) }]);
    const deactivate = await patch(env.api.users.admin.id, { active: false });
    expect(deactivate.status).toBe(409);
    expect(deactivate.body.errors[0].field).toBe('active');
    expect(await snapshotUsers()).toBe(before);
    expect((await env.api.request.get('/api/auth/me').set(asAdmin())).body.user.role).toBe('admin');
  });

  it('nobody deactivates their own account, even with other admins about', async () => {
    const other = await newUser('admin');
    const res = await patch(other.id, { active: false }, bearer(other.token));
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/^active: you cannot deactivate your own account/);
    // but an admin may step down to another role while another admin remains
    expect((await patch(other.id, { role: 'finance' }, bearer(other.token))).status).toBe(200);
    expect(await activeAdmins()).toEqual([env.api.users.admin.id]);
  });

  it('two concurrent changes to one user both apply: neither is lost', async () => {
    const user = await newUser('customer', env.api.tenants.a.id);
    const [role, active] = await Promise.all([patch(user.id, { role: 'finance' }), patch(user.id, { active: false })]);
    expect([role.status, active.status]).toEqual([200, 200]);
    const [row] = await ownerQuery<{ role: string; tenant_id: string | null; deactivated_at: Date | null; token_version: number }>(
      'SELECT role, tenant_id, deactivated_at, token_version FROM users WHERE id = $1',
      [user.id],
    );
    expect(row).toMatchObject({ role: 'finance', tenant_id: null, token_version: 2 });
    expect(row!.deactivated_at).not.toBeNull();
  });

  it('two admins deactivating each other at once: one wins, the other gets 409, one active admin remains', async () => {
    // Given exactly two active admins whose tokens both replicas have just accepted
    const { a, b } = replicas();
    const second = await newUser('admin');
    const first = { id: env.api.users.admin.id, token: env.api.tokens.admin };
    expect((await activeAdmins()).sort()).toEqual([first.id, second.id].sort());
    expect((await a.get('/api/users').set(bearer(first.token))).status).toBe(200);
    expect((await b.get('/api/users').set(bearer(second.token))).status).toBe(200);

    // When each deactivates the other, on different replicas, at the same time
    const [byFirst, bySecond] = await Promise.all([
      patch(second.id, { active: false }, bearer(first.token), a),
      patch(first.id, { active: false }, bearer(second.token), b),
    ]);

    // Then exactly one succeeds and an admin is left
    expect([byFirst.status, bySecond.status].sort()).toEqual([200, 409]);
    const loser = byFirst.status === 409 ? byFirst : bySecond;
    expect(loser.body.detail).toMatch(/^active: this is the last active admin/);
    const survivor = byFirst.status === 200 ? first : second;
    expect(await activeAdmins()).toEqual([survivor.id]);

    // And the same race between demoting oneself and deactivating the only other admin
    const third = await newUser('admin', undefined, survivor.token);
    expect((await a.get('/api/users').set(bearer(survivor.token))).status).toBe(200);
    const [demote, deactivate] = await Promise.all([
      patch(survivor.id, { role: 'finance' }, bearer(survivor.token), a),
      patch(third.id, { active: false }, bearer(survivor.token), a),
    ]);
    expect([demote.status, deactivate.status].sort()).toEqual([200, 409]);
    expect(await activeAdmins()).toHaveLength(1);
  });
});
