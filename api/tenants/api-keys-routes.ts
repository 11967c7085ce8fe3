import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { API_KEY_SCOPES, defineRoute, type RouteDef } from '../http/route.ts';
import { apiKeySchema, scopesSchema, toApiKey } from './api-key-schemas.ts';
import { createApiKeysService } from './api-keys-service.ts';

const createdKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    key: z.string().describe('the secret: shown once, never again'),
    prefix: z.string(),
    scopes: scopesSchema,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'CreatedApiKey' });

const createKeyBody = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z
    .array(z.enum(API_KEY_SCOPES, { error: `must be one of ${API_KEY_SCOPES.join(', ')}` }), { error: 'must be a list of scopes' })
    .min(1, { error: 'must name at least one scope' })
    .max(10, { error: 'must have at most 10 entries' })
    // A scope named twice is the same grant; store it once, in a stable order.
    .transform((scopes) => API_KEY_SCOPES.filter((s) => scopes.includes(s)))
    .optional()
    .describe('default: ["ingest"] for an admin, ["read"] for a customer (who may create read keys only)'),
});

const signedOut = { 401: { description: 'Not signed in' } };
const denied = { ...signedOut, 403: { description: 'Not an admin or customer, or a scope only an admin manages' } };

export function apiKeysRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const keys = createApiKeysService(deps.pg);
  const keyAccess = { roles: ['admin', 'customer'] } as const;
  return [
    defineRoute({
      method: 'post',
      path: '/tenants/:id/api-keys',
      operationId: 'createApiKey',
      tag: 'api-keys',
      access: keyAccess,
      summary: 'Create an API key (ingest: a service posting usage; read: reading this tenant); the key is shown once',
      description: 'Only an admin creates ingest keys; a customer creates read keys for their own tenant (asking for ingest is 403).',
      params: z.strictObject({ id: z.uuid() }),
      body: { schema: createKeyBody },
      responses: {
        201: { description: 'Created; store the key now', schema: createdKeySchema },
        400: { description: 'Invalid input' },
        ...denied,
        404: { description: 'No such tenant (or not yours)' },
      },
      handler: async ({ params, body, principal }) => {
        const { row, key } = await keys.create(principal, params.id, body);
        return {
          status: 201,
          body: { id: row.id, name: row.name, key, prefix: row.prefix, scopes: row.scopes, createdAt: row.created_at.toISOString() },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:id/api-keys',
      operationId: 'listApiKeys',
      tag: 'api-keys',
      access: keyAccess,
      summary: "A tenant's API keys, without secrets",
      params: z.strictObject({ id: z.uuid() }),
      responses: {
        200: { description: 'Keys', schema: z.object({ items: z.array(apiKeySchema) }) },
        ...signedOut,
        403: { description: 'Not an admin or customer' },
        404: { description: 'No such tenant (or not yours)' },
      },
      handler: async ({ params, principal }) => {
        const rows = await keys.list(principal, params.id);
        return { status: 200, body: { items: rows.map(toApiKey) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/tenants/:id/api-keys/:keyId',
      operationId: 'revokeApiKey',
      tag: 'api-keys',
      access: keyAccess,
      summary: 'Revoke an API key (it stops working within 5 s everywhere)',
      description:
        'Idempotent: revoking again keeps the first revocation time. A customer may revoke read keys only (an ingest key is 403).',
      params: z.strictObject({ id: z.uuid(), keyId: z.uuid() }),
      responses: {
        200: { description: 'Revoked', schema: apiKeySchema },
        ...denied,
        404: { description: 'No such key or tenant (or not yours)' },
      },
      handler: async ({ params, principal }) => {
        const row = await keys.revoke(principal, params.id, params.keyId);
        return { status: 200, body: toApiKey(row) };
      },
    }),
  ];
}
