import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, type RouteDef, type Principal } from '../http/route.ts';
import { notFound } from '../http/problem.ts';
import { withScope } from '../../db/postgres/tenant-scope.ts';
import { apiKeysRepository, type ApiKeyRow } from '../../db/postgres/api-keys-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import { generateApiKey } from '../auth/api-key-secrets.ts';

const apiKeySchema = z
  .object({ id: z.uuid(), name: z.string(), prefix: z.string(), createdAt: z.iso.datetime(), lastUsedAt: z.iso.datetime().nullable(), revokedAt: z.iso.datetime().nullable() })
  .meta({ id: 'ApiKey' });
const createdKeySchema = z
  .object({ id: z.uuid(), name: z.string(), key: z.string().describe('the secret: shown once, never again'), prefix: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'CreatedApiKey' });

const toApiKey = (k: ApiKeyRow) => ({
  id: k.id, name: k.name, prefix: k.prefix, createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null, revokedAt: k.revoked_at?.toISOString() ?? null,
});

/** Admins manage any tenant's keys; a customer manages only their own tenant's (404 otherwise). */
async function tenantInScope(pg: DatabasePool, principal: Principal, id: string) {
  const tenantId = resolveTenant(principal, id, 'id');
  const tenant = await withScope(pg, scopeOf(principal), (tx) => tenantsRepository.findById(tx, tenantId));
  if (!tenant) throw notFound('tenant');
  return tenantId;
}

export function apiKeysRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const keyAccess = { roles: ['admin', 'customer'] } as const;
  return [
    defineRoute({
      method: 'post', path: '/tenants/:id/api-keys', operationId: 'createApiKey', tag: 'api-keys', access: keyAccess,
      summary: 'Create an API key for a service posting usage; the key is shown once',
      params: z.strictObject({ id: z.uuid() }),
      body: { schema: z.strictObject({ name: z.string().min(1).max(100) }) },
      responses: { 201: { description: 'Created; store the key now', schema: createdKeySchema }, 400: { description: 'Invalid input' }, 404: { description: 'No such tenant (or not yours)' } },
      handler: async ({ params, body, principal }) => {
        const tenantId = await tenantInScope(deps.pg, principal!, params.id);
        const secret = generateApiKey();
        const createdBy = principal!.kind === 'user' ? principal!.userId : null;
        const row = await withScope(deps.pg, scopeOf(principal!), (tx) =>
          apiKeysRepository.insert(tx, { tenantId, name: body.name, prefix: secret.prefix, keyHash: secret.hash, createdBy }),
        );
        return { status: 201, body: { id: row.id, name: row.name, key: secret.key, prefix: row.prefix, createdAt: row.created_at.toISOString() } };
      },
    }),
    defineRoute({
      method: 'get', path: '/tenants/:id/api-keys', operationId: 'listApiKeys', tag: 'api-keys', access: keyAccess,
      summary: "A tenant's API keys, without secrets",
      params: z.strictObject({ id: z.uuid() }),
      responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(apiKeySchema) }) }, 404: { description: 'No such tenant (or not yours)' } },
      handler: async ({ params, principal }) => {
        const tenantId = await tenantInScope(deps.pg, principal!, params.id);
        const rows = await withScope(deps.pg, scopeOf(principal!), (tx) => apiKeysRepository.listForTenant(tx, tenantId));
        return { status: 200, body: { items: rows.map(toApiKey) } };
      },
    }),
    defineRoute({
      method: 'delete', path: '/tenants/:id/api-keys/:keyId', operationId: 'revokeApiKey', tag: 'api-keys', access: keyAccess,
      summary: 'Revoke an API key (it stops working within 5 s everywhere)',
      params: z.strictObject({ id: z.uuid(), keyId: z.uuid() }),
      responses: { 200: { description: 'Revoked', schema: apiKeySchema }, 404: { description: 'No such key or tenant (or not yours)' } },
      handler: async ({ params, principal }) => {
        const tenantId = await tenantInScope(deps.pg, principal!, params.id);
        const row = await withScope(deps.pg, scopeOf(principal!), (tx) => apiKeysRepository.revoke(tx, tenantId, params.keyId));
        if (!row) throw notFound('API key');
        return { status: 200, body: toApiKey(row) };
      },
    }),
  ];
}
