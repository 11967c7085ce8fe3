import type { AppDeps } from './app.ts';
import type { RouteDef } from './http/route.ts';
import { openapiRoutes } from './openapi/openapi-routes.ts';
import { identityRoutes } from './identity-routes.ts';

/** Every /api route, gathered from the domain areas. */
export function buildRoutes(deps: AppDeps): RouteDef[] {
  const areaRoutes: RouteDef[] = [
    ...identityRoutes(deps),
  ];
  return [...areaRoutes, ...openapiRoutes(() => areaRoutes)];
}
