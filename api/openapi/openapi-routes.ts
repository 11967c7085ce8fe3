import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { buildOpenApiDocument } from './build-document.ts';
import { notFound } from '../http/problem.ts';
import { DOCS_CSP } from '../http/content-security-policy.ts';
import pkg from '../../package.json' with { type: 'json' };

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const VIEWER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Meterplane API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script></body></html>`;
// validatorUrl: null keeps the viewer from loading a badge from validator.swagger.io.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true, validatorUrl: null });`;

/** The document describes `documented()` plus these routes themselves. */
export function openapiRoutes(documented: () => readonly RouteDef[]): RouteDef[] {
  // Routes are fixed once the app is built, so the document is built once, on first request.
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  const own: RouteDef[] = [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'meta',
      access: { public: true },
      summary: 'This API described as OpenAPI 3.1',
      responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
      handler: async () => ({
        status: 200,
        body: (document ??= buildOpenApiDocument([...documented(), ...own], { version: pkg.version })),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/docs',
      operationId: 'getApiDocs',
      tag: 'meta',
      access: { public: true },
      summary: 'Human-readable API reference',
      responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
      handler: async () => ({
        status: 200,
        body: DOCS_PAGE,
        type: 'text/html; charset=utf-8',
        headers: { 'Content-Security-Policy': DOCS_CSP },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/docs/assets/:file',
      operationId: 'getApiDocsAsset',
      tag: 'meta',
      access: { public: true },
      summary: 'Static asset of the API reference viewer',
      params: z.object({ file: z.string().max(64) }),
      responses: { 200: { description: 'Asset', contentType: 'application/octet-stream' }, 404: { description: 'No such asset' } },
      handler: async ({ params }) => {
        const { file } = params as { file: string };
        if (file === 'init.js') return { status: 200, body: INIT_SCRIPT, type: 'application/javascript; charset=utf-8' };
        const type = VIEWER_FILES[file];
        if (!type) throw notFound(`asset ${file}`);
        return { status: 200, body: await readFile(join(swaggerDir, file)), type, headers: { 'Cache-Control': 'public, max-age=86400' } };
      },
    }),
  ];
  return own;
}
