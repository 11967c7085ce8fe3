import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import type { RouteDef } from '../http/route.ts';
import { createSubscriptionsService } from './subscriptions-service.ts';
import { subscriptionsRoutes } from './subscriptions-routes.ts';
import { createInvoicesService } from '../invoices/invoices-service.ts';
import { invoicesRoutes } from '../invoices/invoices-routes.ts';
import { createEstimateService } from './estimate-service.ts';
import { createPaymentAttemptsService } from '../invoices/payment-attempts-service.ts';
import { estimateRoutes } from './estimate-routes.ts';
import { createPlanChangePreviewService } from './plan-change-preview-service.ts';
import { planChangePreviewRoutes } from './plan-change-preview-routes.ts';
import type { MeteringRuntime } from '../ingest/metering-runtime.ts';

/** How the API drives billing workflows (AppDeps.billing). */
export type BillingApiOptions = {
  /** Set the TenantId and SubscriptionStatus search attributes on new workflows (default true). */
  searchAttributes?: boolean;
  /** Days after issue of each payment attempt (default 0, 3, 5, 7). */
  dunningScheduleDays?: number[];
  /** How long POST /invoices/generate waits for the finalized invoice before answering 202 (default 30 s). */
  generateWaitMs?: number;
};

/** Subscriptions and invoices, which share the subscription workflows. */
export function billingRoutes(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; temporal: TemporalClient; billing?: BillingApiOptions; metering?: MeteringRuntime }): RouteDef[] {
  const subscriptions = createSubscriptionsService({
    pg: deps.pg,
    temporal: deps.temporal,
    ...(deps.billing?.searchAttributes !== undefined ? { searchAttributes: deps.billing.searchAttributes } : {}),
    ...(deps.billing?.dunningScheduleDays ? { dunningScheduleDays: deps.billing.dunningScheduleDays } : {}),
  });
  const invoices = createInvoicesService({ pg: deps.pg, clickhouse: deps.clickhouse, temporal: deps.temporal });
  if (!deps.metering) throw new Error('createApp provides deps.metering before building routes');
  const estimates = createEstimateService({ pg: deps.pg, clickhouse: deps.clickhouse, meters: deps.metering.meters });
  return [
    ...subscriptionsRoutes(subscriptions),
    ...estimateRoutes(estimates),
    ...planChangePreviewRoutes(createPlanChangePreviewService({ pg: deps.pg, temporal: deps.temporal })),
    ...invoicesRoutes({ pg: deps.pg, invoices, attempts: createPaymentAttemptsService({ pg: deps.pg, temporal: deps.temporal }), subscriptions, generateWaitMs: deps.billing?.generateWaitMs ?? 30_000 }),
  ];
}
