import { describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../harness/environment.ts';
import type { TestApi } from '../harness/api.ts';

const env = useTestEnvironment();

type Caller = 'admin' | 'finance' | 'customerA' | 'customerB';
type Case = {
  operationId: string;
  /** Tells two rows of one route apart. */
  label?: string;
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Tenant A's resources: customer B must get 404, never 403, so existence does not leak. */
  path: (t: TestApi) => string;
  body?: (t: TestApi, caller: Caller) => object;
  expect: Record<Caller, number>;
  /** A table whose content must be unchanged after a denied write. */
  writes?: string;
};

let seq = 0;
const unique = () => `${Date.now()}-${++seq}`;

// Each row: one route, the status each role gets. Writes that succeed get fresh bodies.
const matrix: Case[] = [
  { operationId: 'getMe', method: 'get', path: () => '/api/auth/me', expect: { admin: 200, finance: 200, customerA: 200, customerB: 200 } },
  {
    operationId: 'listUsers',
    method: 'get',
    path: () => '/api/users',
    expect: { admin: 200, finance: 403, customerA: 403, customerB: 403 },
  },
  {
    operationId: 'createUser',
    method: 'post',
    path: () => '/api/users',
    writes: 'users',
    body: (t) => ({ email: `u-${unique()}@example.test`, password: 'long enough pw', role: 'customer', tenantId: t.tenants.a.id }),
    expect: { admin: 201, finance: 403, customerA: 403, customerB: 403 },
  },
  // A change to what the user already is: it succeeds without signing anyone out.
  {
    operationId: 'updateUser',
    method: 'patch',
    path: (t) => `/api/users/${t.users.finance.id}`,
    writes: 'users',
    body: () => ({ active: true }),
    expect: { admin: 200, finance: 403, customerA: 403, customerB: 403 },
  },
  {
    operationId: 'listTenants',
    method: 'get',
    path: () => '/api/tenants',
    expect: { admin: 200, finance: 200, customerA: 403, customerB: 403 },
  },
  {
    operationId: 'createTenant',
    method: 'post',
    path: () => '/api/tenants',
    writes: 'tenants',
    body: () => ({ name: `T ${unique()}` }),
    expect: { admin: 201, finance: 403, customerA: 403, customerB: 403 },
  },
  {
    operationId: 'getTenant',
    method: 'get',
    path: (t) => `/api/tenants/${t.tenants.a.id}`,
    expect: { admin: 200, finance: 200, customerA: 200, customerB: 404 },
  },
  {
    operationId: 'updateTenant',
    method: 'patch',
    path: (t) => `/api/tenants/${t.tenants.a.id}`,
    writes: 'tenants',
    body: () => ({ email: `billing-${unique()}@example.test` }),
    expect: { admin: 200, finance: 403, customerA: 403, customerB: 403 },
  },
  {
    operationId: 'createApiKey',
    label: 'default scopes',
    method: 'post',
    path: (t) => `/api/tenants/${t.tenants.a.id}/api-keys`,
    writes: 'api_keys',
    body: () => ({ name: `k ${unique()}` }),
    expect: { admin: 201, finance: 403, customerA: 201, customerB: 404 },
  },
  {
    operationId: 'createApiKey',
    label: 'read key',
    method: 'post',
    path: (t) => `/api/tenants/${t.tenants.a.id}/api-keys`,
    writes: 'api_keys',
    body: () => ({ name: `k ${unique()}`, scopes: ['read'] }),
    expect: { admin: 201, finance: 403, customerA: 201, customerB: 404 },
  },
  // Only admins hand out ingest keys: the billed party must not post its own usage.
  {
    operationId: 'createApiKey',
    label: 'ingest key',
    method: 'post',
    path: (t) => `/api/tenants/${t.tenants.a.id}/api-keys`,
    writes: 'api_keys',
    body: () => ({ name: `k ${unique()}`, scopes: ['ingest'] }),
    expect: { admin: 201, finance: 403, customerA: 403, customerB: 404 },
  },
  {
    operationId: 'tenantOverview',
    method: 'get',
    path: (t) => `/api/tenants/${t.tenants.a.id}/overview`,
    expect: { admin: 200, finance: 200, customerA: 200, customerB: 404 },
  },
  {
    operationId: 'listApiKeys',
    method: 'get',
    path: (t) => `/api/tenants/${t.tenants.a.id}/api-keys`,
    expect: { admin: 200, finance: 403, customerA: 200, customerB: 404 },
  },
];

// Revocation gets a fresh key per caller so an earlier success does not change later cells.
// A customer revokes their tenant's read keys, never an ingest key (nor the admin's).
const revokeCases = [
  {
    operationId: 'revokeApiKey',
    scopes: ['ingest'],
    expect: { admin: 200, finance: 403, customerA: 403, customerB: 404 } as Record<Caller, number>,
  },
  {
    operationId: 'revokeApiKey',
    scopes: ['read'],
    expect: { admin: 200, finance: 403, customerA: 200, customerB: 404 } as Record<Caller, number>,
  },
];

const snapshot = async (table: string) => {
  const owner = await env.db.owner();
  try {
    return JSON.stringify((await owner.query(`SELECT * FROM ${table} ORDER BY 1`)).rows);
  } finally {
    await owner.end();
  }
};

const callers: Caller[] = ['admin', 'finance', 'customerA', 'customerB'];

describe('role × action matrix', () => {
  for (const c of matrix) {
    describe(c.label ? `${c.operationId} (${c.label})` : c.operationId, () => {
      it.each(callers)('%s', async (caller) => {
        const before = c.writes ? await snapshot(c.writes) : '';
        const req = env.api.request[c.method](c.path(env.api)).set('Authorization', `Bearer ${env.api.tokens[caller]}`);
        const res = await (c.body ? req.send(c.body(env.api, caller)) : req);
        expect(res.status, JSON.stringify(res.body)).toBe(c.expect[caller]);
        if (res.status >= 400) {
          expect(res.headers['content-type']).toMatch(/problem\+json/);
          if (c.writes) expect(await snapshot(c.writes)).toBe(before);
        }
      });
    });
  }

  for (const revokeCase of revokeCases) {
    describe(`${revokeCase.operationId} (an admin's ${revokeCase.scopes.join('+')} key)`, () => {
      it.each(callers)('%s', async (caller) => {
        const created = await env.api.request
          .post(`/api/tenants/${env.api.tenants.a.id}/api-keys`)
          .set('Authorization', `Bearer ${env.api.tokens.admin}`)
          .send({ name: 'r', scopes: revokeCase.scopes });
        expect(created.body.scopes).toEqual(revokeCase.scopes);
        const before = await snapshot('api_keys');
        const res = await env.api.request
          .delete(`/api/tenants/${env.api.tenants.a.id}/api-keys/${created.body.id}`)
          .set('Authorization', `Bearer ${env.api.tokens[caller]}`);
        expect(res.status).toBe(revokeCase.expect[caller]);
        if (res.status >= 400) expect(await snapshot('api_keys')).toBe(before);
      });
    });
  }

  it('an API key of either scope may not act as a user', async () => {
    for (const key of [env.api.apiKeys.a, env.api.readKeys.a]) {
      for (const c of matrix) {
        const req = env.api.request[c.method](c.path(env.api)).set('X-API-Key', key);
        const res = await (c.body ? req.send(c.body(env.api, 'customerA')) : req);
        expect([403], `${c.operationId}`).toContain(res.status);
      }
    }
  });

  it('covers every identity route that is not public', () => {
    const covered = new Set([...matrix.map((c) => c.operationId), ...revokeCases.map((c) => c.operationId)]);
    const identityTags = new Set(['auth', 'users', 'tenants', 'api-keys']);
    const missing = env.api.app.routes
      .filter((r) => identityTags.has(r.tag) && !('public' in r.access) && !covered.has(r.operationId))
      .map((r) => r.operationId);
    expect(missing).toEqual([]);
  });
});
