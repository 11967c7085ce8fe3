import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { forbidden } from '../http/problem.ts';
import { paginationQuery, pageOf } from '../http/pagination.ts';
import { createUserBody, patchUserBody, toUserAccount, userAccountSchema, userIdParams } from './user-schemas.ts';
import { createUsersService } from './users-service.ts';

export function usersRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  const service = createUsersService(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/users',
      operationId: 'createUser',
      tag: 'users',
      access: { roles: ['admin'] },
      summary: 'Create a user (admin, finance, or a customer of one tenant)',
      body: { schema: createUserBody },
      responses: {
        201: { description: 'Created', schema: userAccountSchema },
        400: { description: 'Invalid input' },
        409: { description: 'Email taken' },
      },
      handler: async ({ body }) => ({ status: 201, body: toUserAccount(await service.create(body)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      tag: 'users',
      access: { roles: ['admin'] },
      summary: 'List users',
      query: z.strictObject(paginationQuery),
      responses: { 200: { description: 'A page of users', schema: pageOf(userAccountSchema) } },
      handler: async ({ query }) => {
        const { items, total } = await service.list(query);
        return { status: 200, body: { items: items.map(toUserAccount), total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:id',
      operationId: 'updateUser',
      tag: 'users',
      access: { roles: ['admin'] },
      summary: "Change a user's role or deactivate them",
      description:
        'Any change signs the user out everywhere within 5 s: their existing tokens stop working, and a deactivated user cannot sign in. ' +
        'Role customer needs `tenantId`. Nobody may deactivate their own account, and no change may leave no active admin (409).',
      params: userIdParams,
      body: { schema: patchUserBody },
      responses: {
        200: { description: 'The user after the change', schema: userAccountSchema },
        400: { description: 'Invalid input, or no such tenant; `errors` names the field' },
        401: { description: 'Not signed in' },
        403: { description: 'Only admins manage users' },
        404: { description: 'No such user' },
        409: { description: 'The change would deactivate yourself or leave no active admin' },
      },
      handler: async ({ params, body, principal }) => {
        if (principal.kind !== 'user') throw forbidden(); // the access rule admits users only
        const user = await service.changeAccess(principal.userId, params.id, body);
        return { status: 200, body: toUserAccount(user) };
      },
    }),
  ];
}
