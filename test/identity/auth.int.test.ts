import { describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { useTestEnvironment } from '../harness/environment.ts';
import { TEST_AUTH, TEST_PASSWORD } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';

const env = useTestEnvironment();

const count = async (table: string) => {
  const owner = await env.db.owner();
  try {
    return Number((await owner.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await owner.end();
  }
};

describe('register and sign in', () => {
  it('registers a tenant and its first customer user, then signs in', async () => {
    const reg = await env.api.request
      .post('/api/auth/register')
      .send({ email: 'Founder@Example.test', password: 'long enough pw', tenantName: 'Founder Co' });
    expect(reg.status).toBe(201);
    expectResponseMatchesSpec('post', '/api/auth/register', reg);
    expect(reg.body.user).toMatchObject({ email: 'founder@example.test', role: 'customer' });
    expect(reg.body.user.tenantId).toMatch(/^[0-9a-f-]{36}$/);

    const me = await env.api.request.get('/api/auth/me').set('Authorization', `Bearer ${reg.body.token}`);
    expect(me.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/auth/me', me);
    expect(me.body).toEqual({ user: reg.body.user });
    const tenant = await env.api.request.get(`/api/tenants/${reg.body.user.tenantId}`).set('Authorization', `Bearer ${reg.body.token}`);
    expectResponseMatchesSpec('get', `/api/tenants/${reg.body.user.tenantId}`, tenant);
    expect(tenant.body).toMatchObject({ id: reg.body.user.tenantId, name: 'Founder Co', currency: 'USD', taxRate: '0.000000' });

    const login = await env.api.request.post('/api/auth/login').send({ email: 'founder@example.test', password: 'long enough pw' });
    expect(login.status).toBe(200);
    expectResponseMatchesSpec('post', '/api/auth/login', login);
    expect(login.body.user).toEqual(reg.body.user);
  });

  it('refuses a duplicate email with 409 and writes no second tenant', async () => {
    const tenants = await count('tenants');
    const res = await env.api.request
      .post('/api/auth/register')
      .send({ email: 'founder@example.test', password: 'long enough pw', tenantName: 'Again' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/^email:/);
    expect(await count('tenants')).toBe(tenants);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const wrong = await env.api.request.post('/api/auth/login').send({ email: env.api.users.admin.email, password: 'not the password' });
    const unknown = await env.api.request.post('/api/auth/login').send({ email: 'nobody@example.test', password: TEST_PASSWORD });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expectResponseMatchesSpec('post', '/api/auth/login', wrong);
  });

  it('throttles an email after 10 failures with 429 and Retry-After, even with the right password', async () => {
    const email = env.api.users.finance.email;
    for (let i = 0; i < 10; i++) {
      expect((await env.api.request.post('/api/auth/login').send({ email, password: `wrong-${i}-password` })).status).toBe(401);
    }
    const blocked = await env.api.request.post('/api/auth/login').send({ email, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(900);
    // Another email from the same address is not locked out.
    expect((await env.api.request.post('/api/auth/login').send({ email: env.api.users.admin.email, password: TEST_PASSWORD })).status).toBe(
      200,
    );
  });
});

describe('bad credentials are 401', () => {
  const sign = (claims: object, opts: jwt.SignOptions, secret = TEST_AUTH.jwtSecret) =>
    jwt.sign({ email: 'x@example.test', role: 'admin', tenantId: null, ...claims }, secret, {
      subject: env.api.users.admin.id,
      issuer: TEST_AUTH.issuer,
      audience: TEST_AUTH.audience,
      expiresIn: 600,
      ...opts,
    });

  it.each([
    ['tampered', () => `${env.api.tokens.customerA.slice(0, -4)}AAAA`],
    ['expired', () => sign({}, { expiresIn: -10 })],
    ['wrong issuer', () => sign({}, { issuer: 'someone-else' })],
    ['wrong audience', () => sign({}, { audience: 'another-app' })],
    ['wrong secret', () => sign({}, {}, 'a-different-secret-of-enough-length-000')],
    [
      'alg none',
      () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const payload = Buffer.from(
          JSON.stringify({
            sub: env.api.users.admin.id,
            email: 'x',
            role: 'admin',
            tenantId: null,
            iss: 'meterplane',
            aud: 'meterplane',
            exp: Math.floor(Date.now() / 1000) + 600,
          }),
        ).toString('base64url');
        return `${header}.${payload}.`;
      },
    ],
    ['garbage', () => 'not-a-token'],
  ])('%s JWT', async (_name, makeToken) => {
    const res = await env.api.request.get('/api/tenants').set('Authorization', `Bearer ${makeToken()}`);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('no credential at all', async () => {
    expect((await env.api.request.get('/api/auth/me')).status).toBe(401);
  });

  it('a revoked API key stops working within 5 s', async () => {
    const created = await env.api.request
      .post(`/api/tenants/${env.api.tenants.a.id}/api-keys`)
      .set('Authorization', `Bearer ${env.api.tokens.customerA}`)
      .send({ name: 'to revoke' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^mp_live_/);
    expect(created.body.prefix).toBe(created.body.key.slice(0, 12));
    // An API key authenticates (then may lack the role for this route: 403, not 401).
    expect((await env.api.request.get('/api/auth/me').set('X-API-Key', created.body.key)).status).toBe(403);
    const revoked = await env.api.request
      .delete(`/api/tenants/${env.api.tenants.a.id}/api-keys/${created.body.id}`)
      .set('Authorization', `Bearer ${env.api.tokens.customerA}`);
    expect(revoked.status).toBe(200);
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await env.api.request.get('/api/auth/me').set('X-API-Key', created.body.key)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(401);
  });

  it('lists keys without their secrets', async () => {
    const list = await env.api.request
      .get(`/api/tenants/${env.api.tenants.a.id}/api-keys`)
      .set('Authorization', `Bearer ${env.api.tokens.admin}`);
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    for (const item of list.body.items) expect(item).not.toHaveProperty('key');
    expect(JSON.stringify(list.body)).not.toContain(env.api.apiKeys.a.slice(12));
  });
});

describe('malformed input is 400 naming the field, never 500, and writes nothing', () => {
  const admin = () => ({ Authorization: `Bearer ${env.api.tokens.admin}` });
  it.each([
    ['wrong type', { name: 42 }, 'name'],
    ['missing field', { externalId: 'x-1' }, 'name'],
    ['unknown field', { name: 'ok', colour: 'red' }, 'colour'],
    ['1 MB string', { name: 'x'.repeat(1_000_000) }, 'name'],
    ['bad currency', { name: 'ok', currency: 'XYZW' }, 'currency'],
    ['bad time zone', { name: 'ok', timezone: 'Mars/Olympus' }, 'timezone'],
    ['a fixed offset, not a zone', { name: 'ok', timezone: '+05:00' }, 'timezone'],
    ['float tax rate', { name: 'ok', taxRate: 0.2 }, 'taxRate'],
    ['tax rate of 100%', { name: 'ok', taxRate: '1' }, 'taxRate'],
    ['budget past numeric(30, 12)', { name: 'ok', budget: '1429853861904914897' }, 'budget'],
    ['email with 65 characters before the @', { name: 'ok', email: `${'a'.repeat(65)}@example.test` }, 'email'],
    ['NUL in a name', { name: 'a\u0000b' }, 'name'],
  ])('%s', async (_name, body, field) => {
    const before = await count('tenants');
    const res = await env.api.request.post('/api/tenants').set(admin()).send(body);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain(field);
    expect(res.body.errors.map((e: { field: string }) => e.field).join(' ')).toContain(field);
    expect(await count('tenants')).toBe(before);
  });

  it('the largest budget the column holds is accepted as sent', async () => {
    const res = await env.api.request
      .post('/api/tenants')
      .set(admin())
      .send({ name: 'big budget', budget: '999999999999999999.999999999999' });
    expect(res.status).toBe(201);
    expect(res.body.budget).toBe('999999999999999999.999999999999');
  });

  it('a body over the limit is 413', async () => {
    const res = await env.api.request
      .post('/api/tenants')
      .set(admin())
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(2_000_000) }));
    expect(res.status).toBe(413);
  });

  it('invalid JSON is 400', async () => {
    const res = await env.api.request.post('/api/tenants').set(admin()).set('Content-Type', 'application/json').send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/JSON/);
  });

  it('a wrong content type is 415', async () => {
    const res = await env.api.request.post('/api/tenants').set(admin()).set('Content-Type', 'text/plain').send('name=x');
    expect(res.status).toBe(415);
  });

  it('a password shorter than 10 characters is refused', async () => {
    const res = await env.api.request.post('/api/auth/register').send({ email: 'short@example.test', password: 'short', tenantName: 'S' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^password:/);
  });
});
