import type { AppDeps } from './app.ts';
import type { RouteDef } from './http/route.ts';
import { openapiRoutes } from './openapi/openapi-routes.ts';
import { webhooksRoutes } from './webhooks/webhooks-routes.ts';
import { identityRoutes } from './identity-routes.ts';
import { plansRoutes } from './pricing/plans-routes.ts';
import { billingRoutes } from './subscriptions/billing-routes.ts';
import { alertsRoutes } from './alerts/alerts-routes.ts';
import { meteringRoutes } from './usage/metering-routes.ts';
import { overviewRoutes } from './billing/overview-routes.ts';

/** Every /api route, gathered from the domain areas. */
export function buildRoutes(deps: AppDeps): RouteDef[] {
  const areaRoutes: RouteDef[] = [
    ...identityRoutes(deps),
    ...webhooksRoutes(deps),
    ...plansRoutes(deps),
    ...billingRoutes(deps),
    ...alertsRoutes(deps),
    ...meteringRoutes(deps),
    ...overviewRoutes(deps),
  ];
  return [...areaRoutes, ...openapiRoutes(() => areaRoutes)];
}
