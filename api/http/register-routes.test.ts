import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { pino } from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineRoute, type Principal, type RouteDef } from './route.ts';
import { registerRoutes, type Authorize } from './register-routes.ts';
import { errorMiddleware } from './error-middleware.ts';

const customer: Principal = { kind: 'user', userId: 'u1', email: 'c@example.test', role: 'customer', tenantId: 't1' };

function appWith(routes: RouteDef[], authorize: Authorize) {
  const koa = new Koa();
  koa.use(errorMiddleware(pino({ level: 'silent' })));
  const router = new Router({ prefix: '/api' });
  registerRoutes(router, routes, authorize);
  koa.use(router.routes());
  return request(koa.callback());
}

describe('a handler gets the caller its access rule promises', () => {
  const seen: (Principal | null)[] = [];
  const routes = [
    defineRoute({
      method: 'get',
      path: '/mine',
      operationId: 'mine',
      summary: 's',
      tag: 't',
      access: { roles: ['customer'] },
      responses: { 200: { description: 'ok' } },
      handler: async ({ principal }) => {
        expectTypeOf(principal).toEqualTypeOf<Principal>();
        seen.push(principal);
        return { status: 200, body: { kind: principal.kind } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/open',
      operationId: 'open',
      summary: 's',
      tag: 't',
      access: { public: true },
      responses: { 200: { description: 'ok' } },
      handler: async ({ principal }) => {
        expectTypeOf(principal).toEqualTypeOf<null>();
        seen.push(principal);
        return { status: 200, body: {} };
      },
    }),
  ];

  it('an authenticated route with a caller: the handler gets it', async () => {
    seen.length = 0;
    const res = await appWith(routes, async () => customer).get('/api/mine');
    expect(res.status).toBe(200);
    expect(seen).toEqual([customer]);
  });

  it('an Authorize that lets an authenticated route through without a caller: 401, and the handler never runs', async () => {
    seen.length = 0;
    const res = await appWith(routes, async () => null).get('/api/mine');
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(seen).toEqual([]);
  });

  it('a public route runs without a caller', async () => {
    seen.length = 0;
    const res = await appWith(routes, async () => null).get('/api/open');
    expect(res.status).toBe(200);
    expect(seen).toEqual([null]);
  });
});
