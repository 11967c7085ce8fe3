import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { notFound } from '../http/problem.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository } from '../../db/postgres/users-repository.ts';
import { loginBody, registerBody, sessionSchema, userSchema } from './auth-schemas.ts';
import { publicUser, type createAuthService } from './auth-service.ts';

const problems = { 400: { description: 'Invalid input; `errors` names the fields' } };

export function authRoutes(deps: { pg: DatabasePool; service: ReturnType<typeof createAuthService> }): RouteDef[] {
  return [
    defineRoute({
      method: 'post', path: '/auth/register', operationId: 'register', tag: 'auth', access: { public: true },
      summary: 'Create a tenant and its first user (self-service sign-up)',
      body: { schema: registerBody },
      responses: {
        201: { description: 'Signed up and signed in', schema: sessionSchema }, ...problems,
        409: { description: 'Email already registered' },
        429: { description: 'Too many sign-ups from this address this hour; see Retry-After' },
      },
      handler: async ({ body, ctx }) => ({ status: 201, body: await deps.service.register(body, ctx.ip) }),
    }),
    defineRoute({
      method: 'post', path: '/auth/login', operationId: 'login', tag: 'auth', access: { public: true },
      summary: 'Sign in with email and password',
      body: { schema: loginBody },
      responses: {
        200: { description: 'Signed in', schema: sessionSchema }, ...problems,
        401: { description: 'Wrong email or password, or a deactivated user (one message for all)' },
        429: { description: 'Too many failures for this email or address; see Retry-After' },
      },
      handler: async ({ body, ctx }) => ({ status: 200, body: await deps.service.login(body, ctx.ip) }),
    }),
    defineRoute({
      method: 'get', path: '/auth/me', operationId: 'getMe', tag: 'auth', access: { roles: ROLES },
      summary: 'The signed-in user',
      responses: { 200: { description: 'The caller', schema: z.object({ user: userSchema }) }, 401: { description: 'Not signed in' } },
      handler: async ({ principal }) => {
        if (principal?.kind !== 'user') throw notFound('user');
        const user = await withOperator(deps.pg, (tx) => usersRepository.findById(tx, principal.userId));
        if (!user) throw notFound('user');
        return { status: 200, body: { user: publicUser(user) } };
      },
    }),
  ];
}
