import { z } from 'zod';
import { LIMIT_DECIMAL, LIMIT_MODES, LIMIT_WINDOWS, POSITIVE_DECIMAL } from '../../domain/limits/index.ts';

export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 3600;
export const DEFAULT_TTL_SECONDS = 60;

/** Decimal strings, possibly negative (a counter past its limit has a negative remaining). */
const SIGNED_DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

export const tenantIdParams = z.strictObject({ id: z.uuid('must be a tenant id (uuid)') });
export const limitParams = z.strictObject({ id: z.uuid('must be a tenant id (uuid)'), limitId: z.uuid('must be a limit id (uuid)') });

export const limitBody = z.strictObject({
  meter: z.string({ error: 'must be a meter code' }).min(1).max(63).describe('the code of a sum or count meter'),
  window: z.enum(LIMIT_WINDOWS, { error: `must be one of ${LIMIT_WINDOWS.join(', ')}` }),
  limit: z
    .string({ error: 'must be a decimal string' })
    .regex(LIMIT_DECIMAL, 'must be a decimal string ≥ 0 with at most 26 integer and 12 fractional digits')
    .describe('the most usage the window may count, in the meter unit'),
  mode: z.enum(LIMIT_MODES, { error: `must be one of ${LIMIT_MODES.join(', ')}` }),
});
export type LimitBody = z.output<typeof limitBody>;

export const limitSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    meter: z.string(),
    window: z.enum(LIMIT_WINDOWS),
    limit: z.string().regex(LIMIT_DECIMAL),
    mode: z.enum(LIMIT_MODES),
    createdBy: z.enum(['admin', 'customer']).describe('whose limit it is: a customer may delete only their own'),
    createdAt: z.iso.datetime(),
    windowStart: z.iso.datetime().describe("the current window's start (inclusive)"),
    windowEnd: z.iso.datetime().describe("the current window's end (exclusive)"),
    used: z.string().regex(SIGNED_DECIMAL).describe('the usage counted in the current window: the exact deduplicated meter value'),
    reserved: z.string().regex(SIGNED_DECIMAL).describe('open (unsettled, unexpired) reservations'),
    remaining: z.string().regex(SIGNED_DECIMAL).describe('limit − used − reserved (below zero when usage outran the limit)'),
  })
  .meta({ id: 'UsageLimit' });
export type LimitJson = z.infer<typeof limitSchema>;

export const limitListSchema = z.object({ items: z.array(limitSchema) }).meta({ id: 'UsageLimitList' });

export const authorizeBody = z.strictObject({
  tenantId: z.uuid('must be a tenant id (uuid)').optional().describe('required for an admin; an API key is its own tenant'),
  meter: z.string({ error: 'must be a meter code' }).min(1).max(63),
  quantity: z
    .string({ error: 'must be a decimal string' })
    .regex(POSITIVE_DECIMAL, 'must be a decimal string > 0 with at most 26 integer and 12 fractional digits'),
  ttlSeconds: z
    .number({ error: 'must be an integer number of seconds' })
    .int('must be an integer number of seconds')
    .min(MIN_TTL_SECONDS)
    .max(MAX_TTL_SECONDS)
    .default(DEFAULT_TTL_SECONDS)
    .describe(`how long the reservation holds unless an event settles it (default ${DEFAULT_TTL_SECONDS})`),
  idempotencyKey: z
    .string({ error: 'must be a string' })
    .regex(/^[\x20-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters')
    .describe('a repeat answers the first answer and reserves nothing more'),
});
export type AuthorizeBody = z.output<typeof authorizeBody>;

export const authorizationSchema = z
  .object({
    authorized: z.boolean(),
    reservationId: z
      .uuid()
      .optional()
      .describe('name it in the events that report the usage (reservationId, or CloudEvents reservationid)'),
    remaining: z
      .string()
      .regex(SIGNED_DECIMAL)
      .nullable()
      .describe('what the tightest limit leaves after this answer; null when no limit applies'),
    limit: z.string().regex(LIMIT_DECIMAL).nullable().describe('the tightest limit; null when no limit applies'),
    reason: z.string().optional().describe('why it was refused'),
    expiresAt: z.iso.datetime().optional().describe('when the reservation lapses unless settled'),
    overLimit: z.literal(true).optional().describe('authorized past a soft limit'),
  })
  .meta({ id: 'UsageAuthorization' });
export type AuthorizationJson = z.infer<typeof authorizationSchema>;
