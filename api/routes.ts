import type { AppDeps } from './app.ts';
import type { RouteDef } from './http/route.ts';
import { openapiRoutes } from './openapi/openapi-routes.ts';

/** Every /api route, gathered from the domain areas. */
export function buildRoutes(_deps: AppDeps): RouteDef[] {
  const areaRoutes: RouteDef[] = [];
  return [...areaRoutes, ...openapiRoutes(() => areaRoutes)];
}
