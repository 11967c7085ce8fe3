import { z } from 'zod';
import {
  currencyCode,
  Decimal,
  decimalStringSchema,
  formatAmount,
  minorUnitDigits,
  nonNegativeDecimalString,
} from '../../domain/money/index.ts';
import type { TenantRow } from '../../db/postgres/tenants-repository.ts';
import { emailAddress } from '../auth/auth-schemas.ts';
import { canonicalTimeZone } from '../../domain/periods/index.ts';

const isTimeZone = (tz: string) => canonicalTimeZone(tz) !== null;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The document's pattern lists the canonical zones (the refinement also takes aliases such as
// US/Eastern, and any case); a pattern rather than an enum keeps generated client types a plain
// string. Stored as the tz database spells it; a fixed offset (+05:00) is not a zone and is refused.
const timezone = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
  .transform((tz) => canonicalTimeZone(tz)!)
  .meta({
    pattern: `^(${['UTC', ...Intl.supportedValuesOf('timeZone')]
      .filter((tz) => tz.length <= 64 && isTimeZone(tz))
      .map(escapeRegExp)
      .join('|')})$`,
  });

// numeric(9, 6) below 1, as the tenants CHECK constraint has it.
const taxRate = nonNegativeDecimalString
  .refine((r) => new Decimal(r).lt(1) && /^\d+(\.\d{1,6})?$/.test(r), 'must be a fraction below 1 with at most 6 decimals, e.g. "0.2"')
  .meta({ pattern: '^0+(\\.\\d{1,6})?$' });
// numeric(30, 12), as the tenants table has it: 18 digits before the point.
const budget = decimalStringSchema({ nonNegative: true, maxIntegerDigits: 18 });
// The same column type as the budget; the currency's decimals are checked by the service
// (creditThresholdProblem), as the currency may change in the same request.
const creditLowThreshold = decimalStringSchema({ nonNegative: true, maxIntegerDigits: 18 });
const externalId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may contain letters, digits and . _ : @ - only');

export const tenantSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    externalId: z.string().nullable(),
    email: z.string().nullable(),
    currency: z.string(),
    timezone: z.string(),
    taxRate: z.string(),
    budget: z.string().nullable(),
    creditLowThreshold: z.string().nullable().describe('a credit balance below this raises a credit_low alert; null: none'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Tenant' });

export const createTenantBody = z.strictObject({
  name: z.string().min(1).max(200),
  externalId: externalId.optional(),
  email: emailAddress.optional(),
  currency: currencyCode.optional(),
  timezone: timezone.optional(),
  taxRate: taxRate.optional(),
  budget: budget.optional(),
  creditLowThreshold: creditLowThreshold.optional(),
});

export const patchTenantBody = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    externalId: externalId.nullable().optional(),
    email: emailAddress.nullable().optional(),
    currency: currencyCode.optional(),
    timezone: timezone.optional(),
    taxRate: taxRate.optional(),
    budget: budget.nullable().optional(),
    creditLowThreshold: creditLowThreshold.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .meta({ minProperties: 1 });

export const tenantIdParams = z.strictObject({ id: z.uuid('must be a tenant id (uuid)') });

export const toTenant = (t: TenantRow): z.infer<typeof tenantSchema> => ({
  id: t.id,
  name: t.name,
  externalId: t.external_id,
  email: t.email,
  currency: t.currency,
  timezone: t.timezone,
  taxRate: t.tax_rate,
  budget: t.budget,
  creditLowThreshold: t.credit_low_threshold === null ? null : formatAmount(t.credit_low_threshold, t.currency),
  createdAt: t.created_at.toISOString(),
});

/**
 * Why a credit-low threshold cannot be kept in the currency, or null: it may not have more
 * decimals than the currency's minor unit (the ledger it is compared with counts in minor units).
 */
export function creditThresholdProblem(threshold: string | null, currency: string): string | null {
  if (threshold === null) return null;
  const digits = minorUnitDigits(currency);
  const decimals = new Decimal(threshold).decimalPlaces();
  return decimals > digits ? `has ${decimals} decimals; ${currency} has ${digits}` : null;
}
