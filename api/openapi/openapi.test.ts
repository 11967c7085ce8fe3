import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import openapiTS, { astToString } from 'openapi-typescript';
import { createApp } from '../app.ts';
import type { AppDeps } from '../deps.ts';
import { openApiDocumentOfRoutes } from './document-of-routes.ts';
import { toOpenApiPath } from './build-document.ts';

const root = join(import.meta.dirname, '../..');
const unused = new Proxy(
  {},
  {
    get: () => {
      throw new Error('not used by this test');
    },
  },
);
const app = createApp({
  logger: pino({ level: 'silent' }),
  pg: unused,
  clickhouse: unused,
  temporal: unused,
  auth: { jwtSecret: 'x'.repeat(40), issuer: 'meterplane', audience: 'meterplane', ttlSeconds: 3600 },
} as unknown as AppDeps);
const document = openApiDocumentOfRoutes();

/** Every method + OpenAPI path the Koa router actually serves under /api. */
function routerOperations(): string[] {
  return app.apiRouter.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${toOpenApiPath(String(layer.path).replace(/^\/api/, ''))}`),
  );
}

function documentOperations(): string[] {
  return Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
}

describe('the OpenAPI document', () => {
  it('has an operation for every route the router serves, and a route for every operation', () => {
    const served = routerOperations().sort();
    const documented = documentOperations().sort();
    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((op) => !documented.includes(op))).toEqual([]);
    expect(documented.filter((op) => !served.includes(op))).toEqual([]);
  });

  it('is checked in up to date (run `npm run api:openapi`)', () => {
    const checkedIn = JSON.parse(readFileSync(join(root, 'api/openapi.json'), 'utf8'));
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('generates the dashboard client types that are checked in (run `npm run api:client`)', async () => {
    const generated = astToString(await openapiTS(JSON.parse(JSON.stringify(document))));
    const checkedIn = readFileSync(join(root, 'dashboard/src/lib/api/schema.d.ts'), 'utf8');
    // The CLI adds a banner comment; the types below it must be identical.
    expect(checkedIn.slice(checkedIn.indexOf('export'))).toBe(generated.slice(generated.indexOf('export')));
  });

  it('declares security, tags and the problem+json shape', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKeyBearer', 'apiKeyHeader', 'bearerJwt']);
    expect(document.components.schemas.Problem).toMatchObject({ type: 'object', required: expect.arrayContaining(['status', 'detail']) });
    const ops = Object.values(document.paths).flatMap((p) => Object.values(p)) as {
      tags: string[];
      operationId: string;
      responses: Record<string, { content?: Record<string, unknown> }>;
    }[];
    for (const op of ops) {
      expect(op.tags.length, op.operationId).toBe(1);
      for (const [status, r] of Object.entries(op.responses)) {
        if (Number(status) >= 400)
          expect(Object.keys(r.content ?? {}), `${op.operationId} ${status}`).toEqual(['application/problem+json']);
      }
    }
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
