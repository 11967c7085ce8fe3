import type { RouteDeps } from '../deps.ts';
import { buildRoutes } from '../routes.ts';
import { buildOpenApiDocument } from './build-document.ts';
import pkg from '../../package.json' with { type: 'json' };

/**
 * The OpenAPI document of every route, built without any running dependency: route
 * definitions only close over their deps, so placeholders that fail on use suffice.
 */
export function openApiDocumentOfRoutes() {
  const unavailable = new Proxy(
    {},
    {
      get: (_t, p) =>
        p === 'then'
          ? undefined
          : () => {
              throw new Error('not available while generating the document');
            },
    },
  );
  const deps = new Proxy({}, { get: () => unavailable }) as unknown as RouteDeps;
  return buildOpenApiDocument(buildRoutes(deps), { version: pkg.version });
}
