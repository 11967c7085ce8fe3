import type { RouteDeps } from './deps.ts';
import type { RouteDef } from './http/route.ts';
import { openapiRoutes } from './openapi/openapi-routes.ts';
import { authRoutes } from './auth/auth-routes.ts';
import { usersRoutes } from './users/users-routes.ts';
import { tenantsRoutes } from './tenants/tenants-routes.ts';
import { apiKeysRoutes } from './tenants/api-keys-routes.ts';
import { tenantOverviewRoutes } from './tenants/tenant-overview-routes.ts';
import { webhooksRoutes } from './webhooks/webhooks-routes.ts';
import { plansRoutes } from './pricing/plans-routes.ts';
import { createSubscriptionsService } from './subscriptions/subscriptions-service.ts';
import { subscriptionsRoutes } from './subscriptions/subscriptions-routes.ts';
import { estimateRoutes } from './subscriptions/estimate-routes.ts';
import { planChangePreviewRoutes } from './subscriptions/plan-change-preview-routes.ts';
import { invoicesRoutes } from './invoices/invoices-routes.ts';
import { paymentSettingsRoutes } from './payments/payment-settings-routes.ts';
import { stripeWebhookRoutes } from './payments/stripe-webhook-routes.ts';
import { alertsRoutes } from './alerts/alerts-routes.ts';
import { metersRoutes } from './meters/meters-routes.ts';
import { ingestRoutes } from './ingest/ingest-routes.ts';
import { usageRoutes } from './usage/usage-routes.ts';
import { tenantsUsageRoutes } from './usage/tenants-usage-routes.ts';
import { overviewRoutes } from './billing/overview-routes.ts';
import { creditsRoutes } from './credits/credits-routes.ts';
import { limitsRoutes } from './limits/limits-routes.ts';

/**
 * Every /api route, area by area. The order is the OpenAPI document's order, and it decides
 * nothing else: no two routes share a method and path.
 */
export function buildRoutes(deps: RouteDeps): RouteDef[] {
  // Invoice-now is an Update of the subscription workflow, so invoices share this service.
  const subscriptions = createSubscriptionsService({
    pg: deps.pg,
    temporal: deps.temporal,
    ...(deps.billing?.searchAttributes !== undefined ? { searchAttributes: deps.billing.searchAttributes } : {}),
    ...(deps.billing?.dunningScheduleDays ? { dunningScheduleDays: deps.billing.dunningScheduleDays } : {}),
  });
  const areaRoutes: RouteDef[] = [
    ...authRoutes(deps),
    ...usersRoutes(deps),
    ...tenantsRoutes(deps),
    ...apiKeysRoutes(deps),
    ...tenantOverviewRoutes(deps),
    ...webhooksRoutes(deps),
    ...plansRoutes(deps),
    ...subscriptionsRoutes(subscriptions),
    ...estimateRoutes(deps),
    ...planChangePreviewRoutes(deps),
    ...invoicesRoutes({ ...deps, subscriptions }),
    ...creditsRoutes(deps),
    ...limitsRoutes(deps),
    ...paymentSettingsRoutes(deps),
    ...stripeWebhookRoutes(deps),
    ...alertsRoutes(deps),
    ...metersRoutes(deps),
    ...ingestRoutes(deps),
    ...usageRoutes(deps),
    ...tenantsUsageRoutes(deps),
    ...overviewRoutes(deps),
  ];
  return [...areaRoutes, ...openapiRoutes(() => areaRoutes)];
}
