import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { loginBody, registerBody, sessionSchema, userSchema } from './auth-schemas.ts';
import { createAuthService } from './auth-service.ts';
import type { AuthConfig } from './tokens.ts';
import { createAttemptLimiter } from './attempt-limiter.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { createSignupThrottle } from './signup-throttle.ts';

const problems = { 400: { description: 'Invalid input; `errors` names the fields' } };

/** Sign-up, sign-in and the caller's own account. */
export function authRoutes(deps: { pg: DatabasePool; auth: AuthConfig }): RouteDef[] {
  const limiter = createAttemptLimiter(deps.pg);
  const service = createAuthService({
    pg: deps.pg,
    auth: deps.auth,
    logins: createLoginThrottle(limiter),
    signups: createSignupThrottle(limiter),
  });
  return [
    defineRoute({
      method: 'post',
      path: '/auth/register',
      operationId: 'register',
      tag: 'auth',
      access: { public: true },
      summary: 'Create a tenant and its first user (self-service sign-up)',
      body: { schema: registerBody },
      responses: {
        201: { description: 'Signed up and signed in', schema: sessionSchema },
        ...problems,
        409: { description: 'Email already registered' },
        429: { description: 'Too many sign-ups from this address this hour; see Retry-After' },
      },
      handler: async ({ body, ctx }) => ({ status: 201, body: await service.register(body, ctx.ip) }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/login',
      operationId: 'login',
      tag: 'auth',
      access: { public: true },
      summary: 'Sign in with email and password',
      body: { schema: loginBody },
      responses: {
        200: { description: 'Signed in', schema: sessionSchema },
        ...problems,
        401: { description: 'Wrong email or password, or a deactivated user (one message for all)' },
        429: { description: 'Too many failures for this email or address; see Retry-After' },
      },
      handler: async ({ body, ctx }) => ({ status: 200, body: await service.login(body, ctx.ip) }),
    }),
    defineRoute({
      method: 'get',
      path: '/auth/me',
      operationId: 'getMe',
      tag: 'auth',
      access: { roles: ROLES },
      summary: 'The signed-in user',
      responses: { 200: { description: 'The caller', schema: z.object({ user: userSchema }) }, 401: { description: 'Not signed in' } },
      handler: async ({ principal }) => ({ status: 200, body: { user: await service.me(principal) } }),
    }),
  ];
}
