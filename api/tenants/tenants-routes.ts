import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { paginationQuery, pageOf } from '../http/pagination.ts';
import { createTenantBody, patchTenantBody, tenantIdParams, tenantSchema } from './tenant-schemas.ts';
import { createTenantsService } from './tenants-service.ts';

export function tenantsRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const service = createTenantsService(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/tenants',
      operationId: 'listTenants',
      tag: 'tenants',
      access: { roles: ['admin', 'finance'] },
      summary: 'List tenants, with search and pagination',
      query: z.strictObject({ ...paginationQuery, q: z.string().max(200).optional().describe('matches name, externalId or email') }),
      responses: { 200: { description: 'A page of tenants', schema: pageOf(tenantSchema) } },
      handler: async ({ query }) => {
        const page = await service.list(query);
        return { status: 200, body: { ...page, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tenants',
      operationId: 'createTenant',
      tag: 'tenants',
      access: { roles: ['admin'] },
      summary: 'Create a tenant',
      body: { schema: createTenantBody },
      responses: {
        201: { description: 'Created', schema: tenantSchema },
        400: { description: 'Invalid input' },
        409: { description: 'externalId taken' },
      },
      handler: async ({ body }) => {
        const tenant = await service.create(body);
        return { status: 201, body: tenant, headers: { Location: `/api/tenants/${tenant.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:id',
      operationId: 'getTenant',
      tag: 'tenants',
      access: { roles: ROLES },
      summary: 'One tenant (customers: only their own)',
      params: tenantIdParams,
      responses: { 200: { description: 'The tenant', schema: tenantSchema }, 404: { description: 'No such tenant (or not yours)' } },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/tenants/:id',
      operationId: 'updateTenant',
      tag: 'tenants',
      access: { roles: ['admin'] },
      summary: 'Change a tenant',
      params: tenantIdParams,
      body: { schema: patchTenantBody },
      responses: {
        200: { description: 'Updated', schema: tenantSchema },
        400: { description: 'Invalid input' },
        404: { description: 'No such tenant' },
        409: { description: 'externalId taken' },
      },
      handler: async ({ params, body }) => ({ status: 200, body: await service.update(params.id, body) }),
    }),
  ];
}
