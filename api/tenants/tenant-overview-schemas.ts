import { z } from 'zod';
import { tenantSchema } from './tenant-schemas.ts';
import { apiKeySchema } from './api-key-schemas.ts';
import { subscriptionSchema } from '../subscriptions/subscription-schemas.ts';
import { invoiceListItemSchema } from '../invoices/invoice-schemas.ts';
import { alertSchema } from '../alerts/alert-schemas.ts';
import { balanceSchema, ledgerPageSchema, ledgerQuery } from '../credits/credit-schemas.ts';
import { limitSchema } from '../limits/limit-schemas.ts';

export const TENANT_OVERVIEW_LIMITS = { subscriptions: 5, invoices: 12, alerts: 10, ledger: 20, periodEntries: 500 } as const;

export const tenantOverviewQuery = z.strictObject({
  ledgerCursor: ledgerQuery.shape.cursor.describe('the ledger page to include: nextCursor of a previous page; omitted: the first'),
});

const ledgerEntrySchema = ledgerPageSchema.shape.items.element;

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
    credits: z
      .object({
        balance: balanceSchema
          .nullable()
          .describe("as GET /tenants/:id/credit-balance; null when the open period's usage cannot be priced (that route's 409)"),
        ledger: ledgerPageSchema.describe(
          `as GET /tenants/:id/credit-ledger?limit=${TENANT_OVERVIEW_LIMITS.ledger}&cursor=<ledgerCursor>, oldest first`,
        ),
        period: z
          .object({
            from: z.iso.datetime(),
            to: z.iso.datetime(),
            opening: z.string().describe('the ledger balance just before `from`'),
            entries: z
              .array(ledgerEntrySchema)
              .describe(`the entries from \`from\` on, oldest first (the newest ${TENANT_OVERVIEW_LIMITS.periodEntries} at most)`),
          })
          .describe("for the burn-down: the live subscription's current period, else the calendar month (UTC)"),
      })
      .describe("the tenant's credit, read as the credit routes read it"),
    usageLimits: z
      .array(limitSchema)
      .describe("every usage limit, with its current window's figures, as GET /tenants/:id/usage-limits lists them"),
  })
  .meta({ id: 'TenantOverview' });
export type TenantOverview = z.infer<typeof tenantOverviewResponse>;
