import { defineRoute, type RouteDef } from '../http/route.ts';
import { scopeOf } from '../auth/tenant-access.ts';
import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { createPlanChangePreviewService } from './plan-change-preview-service.ts';
import { changePlanBody, subscriptionIdParams } from './subscription-schemas.ts';
import { planChangePreviewResponse } from './plan-change-preview-schemas.ts';

/** What a plan change would do, for the dashboard to show before the admin confirms it. */
export function planChangePreviewRoutes(deps: { pg: DatabasePool; temporal: TemporalClient }): RouteDef[] {
  const service = createPlanChangePreviewService(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/subscriptions/:id/change-plan/preview',
      operationId: 'previewSubscriptionPlanChange',
      tag: 'subscriptions',
      access: { roles: ['admin', 'finance'] },
      summary: 'Preview a plan change: when it takes effect, the split period and its prorated fixed amounts',
      description:
        'The body of change-plan. Nothing is changed or frozen. Refused (409) exactly when change-plan would be: the same rule as the workflow validator ' +
        '(ended, same plan version, another currency, another interval at once), a second live subscription to the plan, or a shared meter unless allowSharedMeters. ' +
        'Base fees and flat charges are the invoice lines billing writes for each part; usage is priced at the close.',
      params: subscriptionIdParams,
      body: { schema: changePlanBody },
      responses: {
        200: { description: 'What the change does', schema: planChangePreviewResponse },
        404: { description: 'No such subscription or plan' },
        409: {
          description:
            'change-plan would be refused: the subscription has ended, the same plan version, another currency or interval, a live subscription to the plan, or a shared meter',
        },
      },
      handler: async ({ params, body, principal }) => ({ status: 200, body: await service.preview(scopeOf(principal), params.id, body) }),
    }),
  ];
}
