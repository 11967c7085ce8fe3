import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { UniqueIntegrityConstraintViolationError } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { conflict, notFound } from '../http/problem.ts';
import { paginationQuery, pageOf } from '../http/pagination.ts';
import { withOperator, withScope } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { resolveTenant, scopeOf } from '../auth/tenant-access.ts';
import { createTenantBody, patchTenantBody, tenantIdParams, tenantSchema, toTenant } from './tenant-schemas.ts';

const uniqueExternalId = (err: unknown) => {
  if (err instanceof UniqueIntegrityConstraintViolationError) return conflict('externalId', 'is already used by another tenant');
  return err;
};

export function tenantsRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  return [
    defineRoute({
      method: 'get', path: '/tenants', operationId: 'listTenants', tag: 'tenants', access: { roles: ['admin', 'finance'] },
      summary: 'List tenants, with search and pagination',
      query: z.strictObject({ ...paginationQuery, q: z.string().max(200).optional().describe('matches name, externalId or email') }),
      responses: { 200: { description: 'A page of tenants', schema: pageOf(tenantSchema) } },
      handler: async ({ query }) => {
        const [items, total] = await withOperator(deps.pg, (tx) =>
          Promise.all([tenantsRepository.list(tx, { ...query, search: query.q }), tenantsRepository.count(tx, query.q)]),
        );
        return { status: 200, body: { items: items.map(toTenant), total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'post', path: '/tenants', operationId: 'createTenant', tag: 'tenants', access: { roles: ['admin'] },
      summary: 'Create a tenant',
      body: { schema: createTenantBody },
      responses: { 201: { description: 'Created', schema: tenantSchema }, 400: { description: 'Invalid input' }, 409: { description: 'externalId taken' } },
      handler: async ({ body }) => {
        const tenant = await withOperator(deps.pg, (tx) => tenantsRepository.insert(tx, body)).catch((e) => {
          throw uniqueExternalId(e);
        });
        return { status: 201, body: toTenant(tenant), headers: { Location: `/api/tenants/${tenant.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/tenants/:id', operationId: 'getTenant', tag: 'tenants', access: { roles: ROLES },
      summary: 'One tenant (customers: only their own)',
      params: tenantIdParams,
      responses: { 200: { description: 'The tenant', schema: tenantSchema }, 404: { description: 'No such tenant (or not yours)' } },
      handler: async ({ params, principal }) => {
        const id = resolveTenant(principal!, params.id, 'id');
        const tenant = await withScope(deps.pg, scopeOf(principal!), (tx) => tenantsRepository.findById(tx, id));
        if (!tenant) throw notFound('tenant');
        return { status: 200, body: toTenant(tenant) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/tenants/:id', operationId: 'updateTenant', tag: 'tenants', access: { roles: ['admin'] },
      summary: 'Change a tenant',
      params: tenantIdParams,
      body: { schema: patchTenantBody },
      responses: { 200: { description: 'Updated', schema: tenantSchema }, 400: { description: 'Invalid input' }, 404: { description: 'No such tenant' }, 409: { description: 'externalId taken' } },
      handler: async ({ params, body }) => {
        const tenant = await withOperator(deps.pg, (tx) => tenantsRepository.update(tx, params.id, body)).catch((e) => {
          throw uniqueExternalId(e);
        });
        if (!tenant) throw notFound('tenant');
        return { status: 200, body: toTenant(tenant) };
      },
    }),
  ];
}
