import { describe, expect, it } from 'vitest';
import request from 'supertest';
import { pino } from 'pino';
import { useTestEnvironment } from '../harness/environment.ts';
import { TEST_AUTH, TEST_PASSWORD } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { createApp } from '../../api/app.ts';
import type { AppDeps } from '../../api/deps.ts';

// The environment's app trusts one proxy hop (TRUST_PROXY=1): each request below plays the
// proxy's forwarded request, whose X-Forwarded-For ends with the address the proxy saw.
const env = useTestEnvironment({ api: { deps: { trustProxy: 1 } } });

/** Another replica over the same database, with its own proxy setting. */
const replica = (deps: Partial<AppDeps> = {}) =>
  request(
    createApp({
      logger: pino({ level: 'silent' }),
      pg: env.db.pool,
      clickhouse: env.ch.client,
      temporal: undefined as never,
      auth: TEST_AUTH,
      ...deps,
    }).koa.callback(),
  );

/** The keys the throttle counted, per bucket, read as the table owner. */
async function counted(bucket: string): Promise<Map<string, number>> {
  const owner = await env.db.owner();
  try {
    const rows = (await owner.query('SELECT key, count(*)::int AS n FROM auth_attempts WHERE bucket = $1 GROUP BY key', [bucket])).rows as {
      key: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.key, r.n]));
  } finally {
    await owner.end();
  }
}

let seq = 0;
const fresh = (what: string) => `${what}-${Date.now()}-${++seq}@example.test`;
const wrongLogin = (agent: ReturnType<typeof replica>, email: string, xff?: string) => {
  const req = agent.post('/api/auth/login');
  if (xff) req.set('X-Forwarded-For', xff);
  return req.send({ email, password: 'not the password at all' });
};
const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();
const tally = (responses: { status: number }[]) =>
  Object.fromEntries(Object.entries(Object.groupBy(responses, (r) => String(r.status))).map(([k, v]) => [k, v!.length]));

describe('TRUST_PROXY decides who the client is', () => {
  it('with one trusted hop, the last entry of X-Forwarded-For is the client, not what the client wrote before it', async () => {
    const email = fresh('xff-1');
    expect((await wrongLogin(env.api.request, email, 'spoofed, 203.0.113.7')).status).toBe(401);
    expect((await counted('login-ip')).get('203.0.113.7')).toBe(1);
    expect((await counted('login-ip')).has('spoofed')).toBe(false);
  });

  it('with two trusted hops, the second entry from the right is the client', async () => {
    const email = fresh('xff-2');
    expect((await wrongLogin(replica({ trustProxy: 2 }), email, 'spoofed, 203.0.113.8, 10.0.0.2')).status).toBe(401);
    const ips = await counted('login-ip');
    expect(ips.get('203.0.113.8')).toBe(1);
    expect(ips.has('10.0.0.2')).toBe(false);
    expect(ips.has('spoofed')).toBe(false);
  });

  it('with none (the default), X-Forwarded-For is ignored and the TCP peer is the client', async () => {
    const before = await counted('login-ip');
    expect((await wrongLogin(replica(), fresh('xff-0'), '198.51.100.99')).status).toBe(401);
    const after = await counted('login-ip');
    expect(after.has('198.51.100.99')).toBe(false);
    const grown = [...after].filter(([key, n]) => n > (before.get(key) ?? 0)).map(([key]) => key);
    expect(grown).toHaveLength(1);
    expect(grown[0]).toBe('127.0.0.1');
  });
});

describe('failed sign-ins are counted atomically', () => {
  it('30 concurrent wrong passwords for one email: exactly 10 reach the password check (401), 20 are refused (429)', async () => {
    const email = env.api.users.customerB.email;
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => wrongLogin(env.api.request, email, `192.0.2.${i + 1}`)));
    expect(tally(responses)).toEqual({ 401: 10, 429: 20 });
    for (const r of responses.filter((x) => x.status === 429)) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(900);
      expectResponseMatchesSpec('post', '/api/auth/login', r);
    }
    expect((await counted('login-email')).get(email)).toBe(10);
    // The right password is refused too until the window passes.
    expect(
      (await env.api.request.post('/api/auth/login').set('X-Forwarded-For', '192.0.2.200').send({ email, password: TEST_PASSWORD })).status,
    ).toBe(429);
  });

  it('at the per-address limit, concurrent failures with different emails fill exactly the 100 slots; another address is not affected', async () => {
    const ip = '198.51.100.20';
    // Given 95 failures of this address already in the window (arranged directly: 95 password checks would only slow the test)
    const owner = await env.db.owner();
    try {
      await owner.query(
        `INSERT INTO auth_attempts (attempt, bucket, key) SELECT gen_random_uuid(), 'login-ip', $1 FROM generate_series(1, 95)`,
        [ip],
      );
    } finally {
      await owner.end();
    }
    // When 12 more arrive at once, each for another email
    const responses = await Promise.all(Array.from({ length: 12 }, () => wrongLogin(env.api.request, fresh('spray'), ip)));
    // Then 5 are checked and 7 refused
    expect(tally(responses)).toEqual({ 401: 5, 429: 7 });
    expect((await counted('login-ip')).get(ip)).toBe(100);
    // A spoofed entry in front of the proxy's own does not help.
    expect((await wrongLogin(env.api.request, fresh('spray'), `203.0.113.77, ${ip}`)).status).toBe(429);
    expect(
      (
        await env.api.request
          .post('/api/auth/login')
          .set('X-Forwarded-For', '198.51.100.21')
          .send({ email: env.api.users.finance.email, password: TEST_PASSWORD })
      ).status,
    ).toBe(200);
  });

  it('IPv6 clients are counted per /64, so rotating addresses inside one does not help', async () => {
    const owner = await env.db.owner();
    try {
      await owner.query(
        `INSERT INTO auth_attempts (attempt, bucket, key) SELECT gen_random_uuid(), 'login-ip', '2001:db8:aa:1::/64' FROM generate_series(1, 100)`,
      );
    } finally {
      await owner.end();
    }
    expect((await wrongLogin(env.api.request, fresh('v6'), '2001:db8:aa:1:dead:beef:0:1')).status).toBe(429);
    expect((await wrongLogin(env.api.request, fresh('v6'), '2001:db8:aa:2::1')).status).toBe(401);
  });

  it('the limit holds across replicas that share the database', async () => {
    const email = env.api.users.customerA.email;
    const other = replica({ trustProxy: 1 });
    const first = await Promise.all(Array.from({ length: 5 }, () => wrongLogin(env.api.request, email, '192.0.2.50')));
    const second = await Promise.all(Array.from({ length: 5 }, () => wrongLogin(other, email, '192.0.2.51')));
    expect(statuses([...first, ...second])).toEqual(Array(10).fill(401));
    expect((await wrongLogin(other, email, '192.0.2.52')).status).toBe(429);
    expect((await wrongLogin(env.api.request, email, '192.0.2.53')).status).toBe(429);
  });

  it('a successful sign-in takes its own attempt back and clears the email, but not the address', async () => {
    const email = env.api.users.admin.email;
    const ip = '192.0.2.60';
    expect(statuses(await Promise.all(Array.from({ length: 9 }, () => wrongLogin(env.api.request, email, ip))))).toEqual(
      Array(9).fill(401),
    );
    expect((await env.api.request.post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password: TEST_PASSWORD })).status).toBe(
      200,
    );
    expect((await counted('login-email')).has(email)).toBe(false);
    expect((await counted('login-ip')).get(ip)).toBe(9);
    // Ten fresh failures are allowed again.
    expect(statuses(await Promise.all(Array.from({ length: 10 }, () => wrongLogin(env.api.request, email, ip))))).toEqual(
      Array(10).fill(401),
    );
    expect((await wrongLogin(env.api.request, email, ip)).status).toBe(429);
  });

  it('an email with a NUL character is 400 naming the field, not a database error', async () => {
    const res = await env.api.request.post('/api/auth/login').send({ email: 'a\u0000@example.test', password: 'whatever it is' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['email']);
  });
});

describe('sign-ups are limited to 20 per address per hour', () => {
  const signUp = (ip: string, email = fresh('signup')) =>
    env.api.request
      .post('/api/auth/register')
      .set('X-Forwarded-For', ip)
      .send({ email, password: 'long enough pw', tenantName: `Co ${email}` });

  it('the 21st sign-up from one address is 429 with Retry-After; another address is not affected', async () => {
    const ip = '203.0.113.30';
    const first = await Promise.all(Array.from({ length: 20 }, () => signUp(ip)));
    expect(statuses(first)).toEqual(Array(20).fill(201));
    const refused = await signUp(ip);
    expect(refused.status).toBe(429);
    expectResponseMatchesSpec('post', '/api/auth/register', refused);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);
    // Spoofing an address in front of the proxy's entry does not reset the count.
    expect((await signUp(`198.51.100.1, ${ip}`)).status).toBe(429);
    expect((await signUp('203.0.113.31')).status).toBe(201);
  });

  it('25 concurrent sign-ups from one address: exactly 20 tenants are created', async () => {
    const owner = await env.db.owner();
    const tenants = async () => Number((await owner.query('SELECT count(*) AS n FROM tenants')).rows[0].n);
    try {
      const before = await tenants();
      const responses = await Promise.all(Array.from({ length: 25 }, () => signUp('203.0.113.40')));
      expect(tally(responses)).toEqual({ 201: 20, 429: 5 });
      expect(await tenants()).toBe(before + 20);
    } finally {
      await owner.end();
    }
  });

  it('a refused duplicate counts as a sign-up; invalid bodies (400) do not', async () => {
    const ip = '203.0.113.50';
    for (let i = 0; i < 5; i++)
      expect(
        (
          await env.api.request
            .post('/api/auth/register')
            .set('X-Forwarded-For', ip)
            .send({ email: 'not-an-email', password: 'long enough pw', tenantName: 'X' })
        ).status,
      ).toBe(400);
    expect((await signUp(ip, env.api.users.admin.email)).status).toBe(409);
    expect((await counted('signup-ip')).get(ip)).toBe(1);
  });
});
