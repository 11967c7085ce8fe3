import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { pino } from 'pino';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import { createApp } from '../../api/app.ts';
import type { AppDeps } from '../../api/deps.ts';
import type { AuthConfig } from '../../api/auth/tokens.ts';
import { signSessionToken } from '../../api/auth/tokens.ts';
import { hashPassword } from '../../api/auth/passwords.ts';
import { generateApiKey } from '../../api/auth/api-key-secrets.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository } from '../../db/postgres/users-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { apiKeysRepository } from '../../db/postgres/api-keys-repository.ts';
import type { TestDatabase } from './postgres.ts';

export const TEST_AUTH: AuthConfig = {
  jwtSecret: 'test-secret-that-is-long-enough-0123456789',
  issuer: 'meterplane',
  audience: 'meterplane',
  ttlSeconds: 3600,
};
export const TEST_PASSWORD = 'correct horse battery';

/** For tests that never reach Temporal: any use fails loudly instead of hanging. */
const noTemporal = new Proxy(
  {},
  {
    get: (_t, prop) => {
      if (prop === 'then') return undefined;
      throw new Error(`this test app has no Temporal client (tried .${String(prop)}); pass one to createTestApi`);
    },
  },
) as TemporalClient;

export type SeededTenant = { id: string; externalId: string; name: string };

/**
 * The real app over a test database, with two tenants (A and B), one user per role
 * (admin, finance, a customer of each tenant), and per tenant an ingest API key (`apiKeys`)
 * and a read API key (`readKeys`).
 */
export async function createTestApi(opts: {
  db: TestDatabase;
  clickhouse: ClickHouseClient;
  temporal?: TemporalClient;
  deps?: Partial<AppDeps>;
}) {
  const app = createApp({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    pg: opts.db.pool,
    clickhouse: opts.clickhouse,
    temporal: opts.temporal ?? noTemporal,
    auth: TEST_AUTH,
    ...opts.deps,
  });
  const suffix = randomBytes(3).toString('hex');
  const passwordHash = await hashPassword(TEST_PASSWORD);

  const seeded = await withOperator(opts.db.pool, async (tx) => {
    const a = await tenantsRepository.insert(tx, { name: `Tenant A ${suffix}`, externalId: `tenant-a-${suffix}`, currency: 'USD' });
    const b = await tenantsRepository.insert(tx, { name: `Tenant B ${suffix}`, externalId: `tenant-b-${suffix}`, currency: 'USD' });
    const user = (role: 'admin' | 'finance' | 'customer', name: string, tenantId: string | null) =>
      usersRepository.insert(tx, { email: `${name}-${suffix}@example.test`, passwordHash, role, tenantId });
    const users = {
      admin: await user('admin', 'admin', null),
      finance: await user('finance', 'finance', null),
      customerA: await user('customer', 'customer-a', a.id),
      customerB: await user('customer', 'customer-b', b.id),
    };
    const key = async (tenantId: string, scopes: ('ingest' | 'read')[]) => {
      const secret = generateApiKey();
      await apiKeysRepository.insert(tx, {
        tenantId,
        name: `test ${scopes.join('+')} key`,
        prefix: secret.prefix,
        keyHash: secret.hash,
        scopes,
        createdBy: null,
      });
      return secret.key;
    };
    return {
      a,
      b,
      users,
      apiKeys: { a: await key(a.id, ['ingest']), b: await key(b.id, ['ingest']) },
      readKeys: { a: await key(a.id, ['read']), b: await key(b.id, ['read']) },
    };
  });

  const token = (u: {
    id: string;
    email: string;
    role: 'admin' | 'finance' | 'customer';
    tenant_id: string | null;
    token_version: number;
  }) => signSessionToken(TEST_AUTH, { id: u.id, email: u.email, role: u.role, tenantId: u.tenant_id, tokenVersion: u.token_version });
  const asTenant = (t: { id: string; external_id: string | null; name: string }): SeededTenant => ({
    id: t.id,
    externalId: t.external_id!,
    name: t.name,
  });

  return {
    app,
    request: request(app.koa.callback()),
    tenants: { a: asTenant(seeded.a), b: asTenant(seeded.b) },
    users: seeded.users,
    tokens: {
      admin: token(seeded.users.admin),
      finance: token(seeded.users.finance),
      customerA: token(seeded.users.customerA),
      customerB: token(seeded.users.customerB),
    },
    apiKeys: seeded.apiKeys,
    readKeys: seeded.readKeys,
  };
}

export type TestApi = Awaited<ReturnType<typeof createTestApi>>;
