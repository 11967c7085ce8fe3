import { z } from 'zod';
import { paginationQuery } from '../http/pagination.ts';
import { SUBSCRIPTION_STATES } from '../../db/postgres/subscriptions-repository.ts';

export const subscriptionIdParams = z.strictObject({ id: z.uuid('must be a subscription id (uuid)') });

/** An RFC 3339 instant, or a calendar date meaning local midnight in the tenant's zone (the service resolves it). */
const instantOrLocalDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'must be an RFC 3339 date-time or a date (YYYY-MM-DD)',
});

export const createSubscriptionBody = z.strictObject({
  tenantId: z.uuid('must be a tenant id (uuid)'),
  planId: z.uuid('must be a plan id (uuid)'),
  startAt: instantOrLocalDate
    .optional()
    .describe(
      "default now; an instant, or a date (YYYY-MM-DD): local midnight of that day in the tenant's timezone. May lie up to 400 days in the past (the periods already ended are invoiced at once, in order); further back is 400",
    ),
  billingAnchor: instantOrLocalDate
    .optional()
    .describe(
      "default startAt; an instant, or a date (local midnight in the tenant's timezone). Periods keep its local day (clamped to the month end) and local time of day in the tenant's timezone",
    ),
  allowSharedMeters: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe(
      'default false: 409 when the plan bills a meter another live subscription of the tenant bills. true for an add-on that is meant to bill the same events again',
    ),
});

export const changePlanBody = z.strictObject({
  planId: z.uuid('must be a plan id (uuid)'),
  effective: z.enum(['immediate', 'period_end'], { error: 'must be immediate or period_end' }),
  allowSharedMeters: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe(
      'default false: 409 when the plan bills a meter another live subscription of the tenant bills. true for an add-on that is meant to bill the same events again',
    ),
});

export const cancelBody = z.strictObject({ at: z.enum(['immediate', 'period_end'], { error: 'must be immediate or period_end' }) });

export const listSubscriptionsQuery = z.strictObject({
  tenantId: z.uuid().optional().describe('operators: one tenant; customers: only their own'),
  status: z.enum(SUBSCRIPTION_STATES).optional(),
  ...paginationQuery,
});

const lastInvoice = z.object({
  invoiceId: z.uuid(),
  number: z.string().nullable().optional(),
  status: z.string().optional(),
  periodStart: z.string().optional(),
  periodEnd: z.string().optional(),
  currency: z.string().optional(),
  total: z.string().nullable().optional(),
});

export const subscriptionSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    planId: z.uuid(),
    planVersion: z.number().int(),
    planCode: z.string().nullable(),
    status: z.enum(SUBSCRIPTION_STATES),
    startAt: z.iso.datetime(),
    trialEnd: z.iso.datetime().nullable(),
    currentPeriod: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).nullable(),
    parts: z
      .array(z.object({ from: z.iso.datetime(), planId: z.uuid(), version: z.number().int(), code: z.string() }))
      .optional()
      .describe('the current period under each plan, after an immediate change'),
    nextInvoiceAt: z.iso.datetime().nullable(),
    lastInvoice: lastInvoice.nullable(),
    pendingChange: z.unknown().nullable().describe('a plan change or cancellation scheduled for the period end'),
    canceledAt: z.iso.datetime().nullable(),
    timezone: z.string().describe("the IANA zone its periods follow: the tenant's when it was created"),
    workflowId: z.string(),
    source: z.enum(['workflow', 'read_model']).describe('workflow: the live query answered; read_model: PostgreSQL'),
  })
  .meta({ id: 'Subscription' });
