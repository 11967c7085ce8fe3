import { z } from 'zod';
import { nonNegativeDecimalString } from '../../domain/money/index.ts';
import { integerText } from '../http/integer-schemas.ts';
import { MAX_PAGE_SIZE } from '../http/pagination.ts';
import { LEDGER_ENTRY_KINDS } from '../../domain/credits/index.ts';
import { GRANT_SOURCES } from '../../db/postgres/credit-ledger-repository.ts';

export const tenantIdParams = z.strictObject({ id: z.uuid('must be a tenant id (uuid)') });

export const grantBody = z.strictObject({
  amount: nonNegativeDecimalString.describe("in the tenant's currency, greater than 0"),
  currency: z.string({ error: 'must be a currency code' }).max(3).describe("the tenant's currency; any other is refused"),
  priority: z.number().int('must be an integer').min(0).max(1_000_000).default(0).describe('lower numbers burn first (default 0)'),
  effectiveAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional().describe('default: now'),
  expiresAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional().describe('exclusive; default: never'),
  appliesTo: z
    .array(z.string().min(1).max(100), { error: 'must be a list of meter codes' })
    .min(1, 'must name at least one meter (leave it out to pay for any line)')
    .max(100)
    .optional()
    .describe('meter codes whose lines (with their tax) the grant may pay; default: any line'),
  reason: z.string().trim().min(1, 'must not be empty').max(500),
});
export type GrantBody = z.output<typeof grantBody>;

export const grantSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    source: z
      .enum(GRANT_SOURCES)
      .describe('grant: given; overpayment: paid beyond what was owed; invoice_credit: an invoice totalling less than zero'),
    amount: z.string(),
    remaining: z.string().describe('what the ledger says is left of it'),
    currency: z.string(),
    priority: z.number().int(),
    effectiveAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    appliesTo: z.array(z.string()).nullable(),
    reason: z.string(),
    invoiceId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'CreditGrant' });
export type GrantJson = z.infer<typeof grantSchema>;

export const ledgerQuery = z.strictObject({
  limit: integerText(1, MAX_PAGE_SIZE).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the nextCursor of a previous page')
    .optional()
    .describe('nextCursor of the previous page; omitted: the first entry'),
});

export const ledgerPageSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.uuid(),
        at: z.iso.datetime(),
        kind: z.enum(LEDGER_ENTRY_KINDS),
        amount: z.string().describe('signed: positive adds credit, negative takes it'),
        grantId: z.uuid(),
        invoiceId: z.uuid().optional(),
        lineId: z.uuid().optional().describe('the invoice line a burn paid for (or a reversal gave back)'),
        balanceAfter: z.string().describe('the sum of the entries up to and including this one'),
      }),
    ),
    nextCursor: z.string().nullable().describe('null on the last page'),
  })
  .meta({ id: 'CreditLedgerPage' });

export const balanceSchema = z
  .object({
    tenantId: z.uuid(),
    currency: z.string(),
    granted: z.string().describe('the sum of the opening entries'),
    consumed: z.string().describe('burns less reversals'),
    expired: z.string().describe('expired and voided credit'),
    remaining: z.string().describe('granted − consumed − expired: the ledger balance'),
    pendingUsage: z.string().describe('the open periods so far, priced like their invoices (tax included), not yet invoiced'),
    available: z.string().describe('remaining − pendingUsage (below zero when usage outran the credit)'),
    asOf: z.iso.datetime(),
    grants: z.array(grantSchema),
  })
  .meta({ id: 'CreditBalance' });
