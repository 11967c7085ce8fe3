import { z } from 'zod';
import { tenantSchema } from './tenant-schemas.ts';
import { apiKeySchema } from './api-key-schemas.ts';
import { subscriptionSchema } from '../subscriptions/subscription-schemas.ts';
import { invoiceListItemSchema } from '../invoices/invoice-schemas.ts';
import { alertSchema } from '../alerts/alert-schemas.ts';
import { limitSchema } from '../limits/limit-schemas.ts';

export const TENANT_OVERVIEW_LIMITS = { subscriptions: 5, invoices: 12, alerts: 10 } as const;

export const tenantOverviewResponse = z
  .object({
    tenant: tenantSchema,
    subscriptions: z
      .object({ items: z.array(subscriptionSchema), total: z.number().int() })
      .describe(`the newest ${TENANT_OVERVIEW_LIMITS.subscriptions}, from the read model`),
    invoices: z
      .object({ items: z.array(invoiceListItemSchema), total: z.number().int() })
      .describe(`the newest ${TENANT_OVERVIEW_LIMITS.invoices} periods, without lines`),
    alerts: z.object({ items: z.array(alertSchema), total: z.number().int() }).describe(`the newest ${TENANT_OVERVIEW_LIMITS.alerts}`),
    apiKeys: z.array(apiKeySchema).nullable().describe('null for finance, who do not manage keys'),
    usageLimits: z
      .array(limitSchema)
      .describe("every usage limit, with its current window's figures, as GET /tenants/:id/usage-limits lists them"),
  })
  .meta({ id: 'TenantOverview' });
export type TenantOverview = z.infer<typeof tenantOverviewResponse>;
