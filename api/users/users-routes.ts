import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { UniqueIntegrityConstraintViolationError, ForeignKeyIntegrityConstraintViolationError } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { badRequest, conflict } from '../http/problem.ts';
import { paginationQuery, pageOf } from '../http/pagination.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository } from '../../db/postgres/users-repository.ts';
import { emailSchema, passwordSchema, roleSchema, userSchema } from '../auth/auth-schemas.ts';
import { hashPassword } from '../auth/passwords.ts';
import { publicUser } from '../auth/auth-service.ts';

const createUserBody = z
  .strictObject({ email: emailSchema, password: passwordSchema, role: roleSchema, tenantId: z.uuid().optional() })
  .superRefine((b, ctx) => {
    if (b.role === 'customer' && !b.tenantId) ctx.addIssue({ code: 'custom', path: ['tenantId'], message: 'is required for the customer role' });
    if (b.role !== 'customer' && b.tenantId) ctx.addIssue({ code: 'custom', path: ['tenantId'], message: `must not be given for the ${b.role} role` });
  })
  .meta({
    // The same rule as JSON Schema states it.
    anyOf: [
      { properties: { role: { const: 'customer' } }, required: ['tenantId'] },
      { properties: { role: { enum: ROLES.filter((r) => r !== 'customer') } }, not: { required: ['tenantId'] } },
    ],
  });

export function usersRoutes(deps: { pg: DatabasePool }): RouteDef[] {
  return [
    defineRoute({
      method: 'post', path: '/users', operationId: 'createUser', tag: 'users', access: { roles: ['admin'] },
      summary: 'Create a user (admin, finance, or a customer of one tenant)',
      body: { schema: createUserBody },
      responses: { 201: { description: 'Created', schema: userSchema }, 400: { description: 'Invalid input' }, 409: { description: 'Email taken' } },
      handler: async ({ body }) => {
        const passwordHash = await hashPassword(body.password);
        try {
          const user = await withOperator(deps.pg, (tx) => usersRepository.insert(tx, { email: body.email, passwordHash, role: body.role, tenantId: body.tenantId ?? null }));
          return { status: 201, body: publicUser(user) };
        } catch (err) {
          if (err instanceof UniqueIntegrityConstraintViolationError) throw conflict('email', 'is already registered');
          if (err instanceof ForeignKeyIntegrityConstraintViolationError) throw badRequest('tenantId', 'no such tenant');
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'get', path: '/users', operationId: 'listUsers', tag: 'users', access: { roles: ['admin'] },
      summary: 'List users',
      query: z.strictObject(paginationQuery),
      responses: { 200: { description: 'A page of users', schema: pageOf(userSchema) } },
      handler: async ({ query }) => {
        const [items, total] = await withOperator(deps.pg, (tx) => Promise.all([usersRepository.list(tx, query), usersRepository.count(tx)]));
        return { status: 200, body: { items: items.map(publicUser), total, limit: query.limit, offset: query.offset } };
      },
    }),
  ];
}
