import type { AppDeps } from './app.ts';
import type { RouteDef } from './http/route.ts';
import { openapiRoutes } from './openapi/openapi-routes.ts';
import { identityRoutes } from './identity-routes.ts';
import { webhooksRoutes } from './webhooks/webhooks-routes.ts';

/** Every /api route, gathered from the domain areas. */
export function buildRoutes(deps: AppDeps): RouteDef[] {
  const areaRoutes: RouteDef[] = [
    ...identityRoutes(deps),
    ...webhooksRoutes(deps),
  ];
  return [...areaRoutes, ...openapiRoutes(() => areaRoutes)];
}
