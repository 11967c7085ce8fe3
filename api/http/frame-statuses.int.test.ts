import { describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../../test/harness/environment.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { toOpenApiPath } from '../openapi/build-document.ts';
import { DEFAULT_BODY_LIMIT } from './read-body.ts';
import { MAX_BODY_BYTES } from '../ingest/ingest-body.ts';
import type { RouteDef } from './route.ts';
import document from '../openapi.json' with { type: 'json' };

// Every route, attacked where the frame answers before (or while) reading the request: no
// credential, a caller the route refuses, malformed path parameters, an unknown query key,
// a wrong Content-Type, a body that is not JSON, too large, or holds U+0000, and methods the
// path does not declare. Each answer must be one the checked-in OpenAPI document declares for
// the operation (status, content type and schema), and none may be a 500.
const env = useTestEnvironment();
const routes = () => env.api.app.routes;

const SOME_ID = '00000000-0000-4000-8000-000000000000';
const pathOf = (route: RouteDef, value = SOME_ID) => `/api${route.path.replace(/:[A-Za-z0-9_]+/g, encodeURIComponent(value))}`;

type Caller = 'admin' | 'finance' | 'customerA' | 'apiKey';
const CALLERS: Caller[] = ['admin', 'finance', 'customerA', 'apiKey'];
const allows = (route: RouteDef, caller: Caller) => {
  if ('public' in route.access) return true;
  if (caller === 'apiKey') return route.access.apiKey?.includes('ingest') === true; // the seeded key is an ingest key
  return route.access.roles.includes(caller === 'customerA' ? 'customer' : caller);
};
const credential = (caller: Caller): Record<string, string> =>
  caller === 'apiKey' ? { 'X-API-Key': env.api.apiKeys.a } : { Authorization: `Bearer ${env.api.tokens[caller]}` };
const allowedCaller = (route: RouteDef) => CALLERS.find((c) => allows(route, c))!;

async function send(route: RouteDef, opts: { caller?: Caller; path?: string; query?: string; type?: string; body?: string | Buffer } = {}) {
  const path = `${opts.path ?? pathOf(route)}${opts.query ?? ''}`;
  let req = env.api.request[route.method](path).set(opts.caller ? credential(opts.caller) : {});
  if (opts.type) req = req.set('Content-Type', opts.type);
  const res = await (opts.body !== undefined ? req.send(opts.body) : req);
  expectResponseMatchesSpec(route.method, path, { status: res.status, body: res.body, headers: res.headers as Record<string, string> });
  return res;
}

describe('every status the frame answers is declared for the operation', () => {
  it('covers the routes of the document', () => {
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(
      routes()
        .map((r) => `${r.method} ${toOpenApiPath(r.path)}`)
        .sort(),
    ).toEqual(documented.sort());
  });

  it('no credential → 401; a caller the route refuses → 403', async () => {
    for (const route of routes().filter((r) => !('public' in r.access))) {
      expect((await send(route)).status, `${route.operationId} without a credential`).toBe(401);
      for (const caller of CALLERS.filter((c) => !allows(route, c))) {
        expect((await send(route, { caller })).status, `${route.operationId} as ${caller}`).toBe(403);
      }
    }
  });

  it('malformed path parameters and unknown query keys → 400 naming them', async () => {
    for (const route of routes()) {
      const caller = allowedCaller(route);
      if (route.params) {
        const res = await send(route, { caller, path: pathOf(route, 'x'.repeat(300)) });
        expect(res.status, route.operationId).toBe(400);
        expect(res.body.errors[0].field, route.operationId).toMatch(/^params\./);
        const nul = await send(route, { caller, path: pathOf(route, 'a\u0000b') });
        expect(nul.status, `${route.operationId} NUL`).toBe(400);
      }
      if (route.query) {
        const res = await send(route, { caller, query: '?not_a_parameter=1' });
        expect(res.status, route.operationId).toBe(400);
        expect(
          res.body.errors.map((e: { field: string }) => e.field),
          route.operationId,
        ).toContain('query.not_a_parameter');
      }
    }
  });

  it('a wrong Content-Type → 415, a body that is not JSON → 400, one over the limit → 413', async () => {
    for (const route of routes().filter((r) => r.body)) {
      const caller = allowedCaller(route);
      expect((await send(route, { caller, type: 'text/plain', body: 'hello' })).status, route.operationId).toBe(415);
      expect((await send(route, { caller, type: 'application/json', body: '{"unterminated": ' })).status, route.operationId).toBe(400);
      const limit = route.body && 'raw' in route.body ? MAX_BODY_BYTES : (route.body?.limit ?? DEFAULT_BODY_LIMIT);
      const tooLarge = `"${'x'.repeat(limit)}"`;
      expect((await send(route, { caller, type: 'application/json', body: tooLarge })).status, route.operationId).toBe(413);
    }
  });

  it('a JSON body holding U+0000 → 400 naming the field, before any route sees it', async () => {
    for (const route of routes().filter((r) => r.body && !('raw' in r.body))) {
      const res = await send(route, { caller: allowedCaller(route), type: 'application/json', body: JSON.stringify({ name: 'a\u0000b' }) });
      expect(res.status, route.operationId).toBe(400);
      expect(res.body.errors, route.operationId).toEqual([{ field: 'name', message: 'must not contain the NUL character (U+0000)' }]);
    }
  });

  it('a path parameter that names nothing answers a declared status (404 where the route looks it up)', async () => {
    for (const route of routes().filter((r) => r.params && r.method === 'get')) {
      const res = await send(route, { caller: allowedCaller(route) });
      expect(res.status, route.operationId).toBeLessThan(500);
    }
  });
});

describe('methods a path does not declare', () => {
  const byPath = () => {
    const paths = new Map<string, { route: RouteDef; methods: Set<string> }>();
    for (const route of routes()) {
      const entry = paths.get(route.path) ?? { route, methods: new Set<string>() };
      entry.methods.add(route.method.toUpperCase());
      if (route.method === 'get') entry.methods.add('HEAD');
      paths.set(route.path, entry);
    }
    return [...paths.values()];
  };

  it('answer 405 problem+json with Allow listing exactly the declared methods, TRACE included', async () => {
    for (const { route, methods } of byPath()) {
      const allow = [...methods, 'OPTIONS'].sort().join(', ');
      for (const method of ['trace', 'put', 'patch', 'delete', 'post'] as const) {
        if (methods.has(method.toUpperCase())) continue;
        const res = await env.api.request[method](pathOf(route)).set(credential('admin'));
        expect(res.status, `${method} ${route.path}`).toBe(405);
        expect(res.headers.allow, `${method} ${route.path}`).toBe(allow);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 405, title: 'Method Not Allowed' });
      }
    }
  });

  it('OPTIONS answers 204 with the same Allow, without a credential', async () => {
    for (const { route, methods } of byPath()) {
      const res = await env.api.request.options(pathOf(route));
      expect(res.status, route.path).toBe(204);
      expect(res.headers.allow, route.path).toBe([...methods, 'OPTIONS'].sort().join(', '));
    }
  });

  it('a literal path segment wins over a parameter: GET /api/invoices/generate is 405, not a 400 about an id', async () => {
    const res = await env.api.request.get('/api/invoices/generate').set(credential('admin'));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('OPTIONS, POST');
  });

  it('an unknown path stays 404, whatever the method', async () => {
    for (const method of ['get', 'trace', 'options'] as const) {
      const res = await env.api.request[method]('/api/no-such-thing').set(credential('admin'));
      expect(res.status, method).toBe(404);
    }
  });
});
