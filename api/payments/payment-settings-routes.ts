import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { createPaymentSettingsService } from './payment-settings-service.ts';
import { paymentSettingsBody, paymentSettingsSchema, tenantIdParams } from './payment-settings-schemas.ts';

const FINANCE = ['admin', 'finance'] as const;

/** Payment settings per tenant. They keep the invoices tag: the document groups them as it always has. */
export function paymentSettingsRoutes(deps: { pg: DatabasePool; temporal: TemporalClient }): RouteDef[] {
  const service = createPaymentSettingsService(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/tenants/:tenantId/payment-settings',
      operationId: 'getPaymentSettings',
      tag: 'invoices',
      access: { roles: ROLES },
      summary: "A tenant's payment settings (the built-in gateway's script)",
      params: tenantIdParams,
      responses: {
        200: { description: 'The settings', schema: paymentSettingsSchema },
        404: { description: 'No such tenant (or not yours)' },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await service.get(principal, params.tenantId) }),
    }),
    defineRoute({
      method: 'put',
      path: '/tenants/:tenantId/payment-settings',
      operationId: 'updatePaymentSettings',
      tag: 'invoices',
      access: { roles: FINANCE },
      summary: "Set a tenant's payment settings; its open invoices are retried at once (payment method updated)",
      params: tenantIdParams,
      body: { schema: paymentSettingsBody },
      responses: {
        200: { description: 'The settings', schema: paymentSettingsSchema },
        400: { description: 'An invalid setting (errors name it)' },
        404: { description: 'No such tenant' },
      },
      handler: async ({ params, body }) => ({ status: 200, body: await service.update(params.tenantId, body) }),
    }),
  ];
}
