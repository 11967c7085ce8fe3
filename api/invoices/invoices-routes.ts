import { z } from 'zod';
import { defineRoute, ROLES, type RouteDef } from '../http/route.ts';
import { pageOf, paginationQuery } from '../http/pagination.ts';
import { positiveIntegerText } from '../http/integer-schemas.ts';
import { idempotencyKeyOf } from '../http/idempotency-key.ts';
import { resolveTenantFilter, scopeOf } from '../auth/tenant-access.ts';
import { INVOICE_STATUSES } from '../../db/postgres/invoices-repository.ts';
import { createInvoicesService } from './invoices-service.ts';
import { createInvoiceNowService } from './invoice-now-service.ts';
import { createPaymentAttemptsService } from './payment-attempts-service.ts';
import { paymentAttemptsResponse } from './payment-attempts-schemas.ts';
import { meteredEventSchema } from '../usage/usage-schemas.ts';
import type { SubscriptionsService } from '../subscriptions/subscriptions-service.ts';
import type { BillingApiOptions } from '../deps.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import { invoiceListItemSchema, invoiceSchema, paymentConflictSchema } from './invoice-schemas.ts';
import type { InvoiceActor } from '../../domain/billing/index.ts';
import type { Principal } from '../http/route.ts';
import type { DatabasePool } from 'slonik';

const FINANCE = ['admin', 'finance'] as const;
/** Reading a tenant's invoices: every role, and the tenant's read keys (RLS keeps a key to its tenant). */
const INVOICE_READERS = { roles: ROLES, apiKey: ['read'] } as const;
const noReadScope = { 403: { description: 'An API key without the read scope' } };
const invoiceIdParams = z.strictObject({ id: z.uuid('must be an invoice id (uuid)') });

const listQuery = z.strictObject({
  tenantId: z.uuid().optional().describe('operators: one tenant; customers: only their own'),
  status: z.enum(INVOICE_STATUSES).optional(),
  subscriptionId: z.uuid().optional(),
  include: z
    .enum(['lines'], { error: 'must be lines (or omitted)' })
    .optional()
    .describe("lines: include each invoice's lines (left out by default)"),
  ...paginationQuery,
});

const paymentBody = z.strictObject({
  amount: z
    .string({ error: 'must be a decimal string such as "12.50"' })
    .max(40)
    .describe("in the invoice's currency, at most the amount due"),
  reference: z.string().trim().min(1, 'must not be empty').max(200),
  overpayment: z
    .enum(['refuse', 'credit'])
    .default('refuse')
    .describe("money beyond what the invoice still owes (or on a paid invoice): refuse it (400 / 409), or keep it as the tenant's credit"),
});

/** Who changes an invoice, in the invoice state machine's terms. */
const actorOf = (principal: Principal | null): InvoiceActor => (principal?.kind === 'user' ? principal.role : 'customer');

const generateBody = z.strictObject({ subscriptionId: z.uuid('must be a subscription id (uuid)') });
const pendingSchema = z.object({ invoiceId: z.uuid(), status: z.literal('pending') }).meta({ id: 'PendingInvoice' });

const drillDownSchema = z
  .object({
    invoiceId: z.uuid(),
    line: z.number().int(),
    meter: z.string(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    eventCount: z.string(),
    limit: z.number().int(),
    events: z.array(meteredEventSchema),
  })
  .meta({ id: 'InvoiceLineUsage' });

/** Invoices, manual payments, voids, invoice-now and the usage drill-down. */
export function invoicesRoutes(deps: {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  temporal: TemporalClient;
  billing?: BillingApiOptions | undefined;
  subscriptions: SubscriptionsService;
}): RouteDef[] {
  const invoices = createInvoicesService(deps);
  const attempts = createPaymentAttemptsService(deps);
  const invoiceNow = createInvoiceNowService({
    invoices,
    subscriptions: deps.subscriptions,
    waitMs: deps.billing?.generateWaitMs ?? 30_000,
  });
  return [
    defineRoute({
      method: 'get',
      path: '/invoices',
      operationId: 'listInvoices',
      tag: 'invoices',
      access: INVOICE_READERS,
      summary: 'List invoices, newest period first; customers see their own',
      query: listQuery,
      responses: {
        200: { description: 'A page of invoices (lines only with ?include=lines)', schema: pageOf(invoiceListItemSchema) },
        ...noReadScope,
        404: { description: 'Another tenant (customers and API keys)' },
      },
      handler: async ({ query, principal }) => {
        const tenantId = resolveTenantFilter(principal, query.tenantId);
        const { include, ...filter } = query;
        const page = await invoices.list(scopeOf(principal), { ...filter, tenantId }, include === 'lines');
        return { status: 200, body: { ...page, limit: query.limit, offset: query.offset } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/invoices/:id/payment-attempts',
      operationId: 'listPaymentAttempts',
      tag: 'invoices',
      access: INVOICE_READERS,
      summary: "An invoice's payment attempts (each outcome) and dunning's next retry",
      params: invoiceIdParams,
      responses: {
        200: { description: 'The attempts, oldest first', schema: paymentAttemptsResponse },
        ...noReadScope,
        404: { description: 'No such invoice (or not yours)' },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await attempts.list(scopeOf(principal), params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/invoices/generate',
      operationId: 'generateInvoice',
      tag: 'invoices',
      access: { roles: FINANCE },
      summary: 'Invoice the current period so far',
      description:
        'Bills the current period up to now: the base fee prorated and usage rated cumulatively since the period start, less what ' +
        'earlier invoices of the period billed. The period keeps its start and end; its own invoice bills the rest. Answers 201 with the finalized ' +
        "On a canceled subscription within its plan's lateUsageDays, it issues the late-usage invoice (late events not yet billed) at once. " +
        'invoice when it is ready within 30 s, otherwise 202 with its id and a Location to poll. With an `Idempotency-Key` header ' +
        '(1 to 255 printable ASCII characters), a repeat of the request gives the same invoice, never a second one.',
      body: { schema: generateBody },
      responses: {
        201: { description: "The finalized invoice (for a repeated Idempotency-Key: the first request's invoice)", schema: invoiceSchema },
        202: { description: 'Still being issued: poll Location', schema: pendingSchema },
        400: { description: 'A malformed body or Idempotency-Key header' },
        404: { description: 'No such subscription' },
        409: {
          description:
            'Nothing to invoice (trial, just started, ended beyond its late-usage horizon, or canceled with no late usage), or the invoice could not be issued (amounts out of range, or a billing rule broken)',
        },
        422: { description: 'The Idempotency-Key was already used for another subscription' },
      },
      handler: async ({ body, principal, ctx }) => {
        const outcome = await invoiceNow.generate(scopeOf(principal), body.subscriptionId, idempotencyKeyOf(ctx.get('Idempotency-Key')));
        const headers = { Location: `/api/invoices/${outcome.invoiceId}` };
        if (outcome.pending) return { status: 202, body: { invoiceId: outcome.invoiceId, status: 'pending' }, headers };
        return { status: 201, body: outcome.invoice, headers };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/invoices/:id',
      operationId: 'getInvoice',
      tag: 'invoices',
      access: INVOICE_READERS,
      summary: 'One invoice with its lines',
      params: invoiceIdParams,
      responses: {
        200: { description: 'The invoice', schema: invoiceSchema },
        ...noReadScope,
        404: { description: 'No such invoice (or not yours)' },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await invoices.get(scopeOf(principal), params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/invoices/:id/pdf',
      operationId: 'getInvoicePdf',
      tag: 'invoices',
      access: INVOICE_READERS,
      summary: 'The invoice as a PDF (rendered at finalization)',
      params: invoiceIdParams,
      responses: {
        200: { description: 'The PDF', contentType: 'application/pdf', schema: z.string().meta({ format: 'binary' }) },
        ...noReadScope,
        404: { description: 'No such invoice (or not yours)' },
        409: { description: 'A draft has no PDF' },
      },
      handler: async ({ params, principal }) => {
        const { number, pdf } = await invoices.pdf(scopeOf(principal), params.id);
        return { status: 200, body: pdf, type: 'application/pdf', headers: { 'Content-Disposition': `inline; filename="${number}.pdf"` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/invoices/:id/usage',
      operationId: 'getInvoiceLineUsage',
      tag: 'invoices',
      access: INVOICE_READERS,
      summary: 'The deduplicated events behind a usage line (up to 1,000)',
      params: invoiceIdParams,
      query: z.strictObject({ line: positiveIntegerText().describe('the line position') }),
      responses: {
        200: { description: 'The events', schema: drillDownSchema },
        400: { description: 'Not a usage line' },
        ...noReadScope,
        404: { description: 'No such invoice or line' },
      },
      handler: async ({ params, query, principal }) => ({
        status: 200,
        body: await invoices.usageEvents(scopeOf(principal), params.id, query.line),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/invoices/:id/void',
      operationId: 'voidInvoice',
      tag: 'invoices',
      access: { roles: FINANCE },
      summary: 'Void a finalized or payment_failed invoice; dunning stops',
      description: 'What was already paid on it becomes tenant credit. Refused while a payment attempt is in flight at the gateway.',
      params: invoiceIdParams,
      responses: {
        200: { description: 'The voided invoice', schema: invoiceSchema },
        404: { description: 'No such invoice' },
        409: {
          description: 'Not voidable in its status, or a payment attempt is in flight (pendingAttemptId names it)',
          schema: paymentConflictSchema,
        },
      },
      handler: async ({ params, principal }) => ({ status: 200, body: await invoices.void(params.id, actorOf(principal)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/invoices/:id/payments',
      operationId: 'recordInvoicePayment',
      tag: 'invoices',
      access: { roles: FINANCE },
      summary: 'Record a manual payment; a fully paid invoice is paid and dunning stops',
      description:
        'At most the amount still due, unless overpayment is "credit": then what the invoice no longer owes (all of it on a paid invoice) ' +
        "becomes the tenant's credit, applied to its next invoice. Refused while a payment attempt is in flight at the gateway.",
      params: invoiceIdParams,
      body: { schema: paymentBody },
      responses: {
        200: { description: 'The invoice after the payment', schema: invoiceSchema },
        400: { description: 'Invalid amount, or more than the amount due' },
        404: { description: 'No such invoice' },
        409: {
          description:
            'The invoice takes no payment (draft, void, or already paid), or a payment attempt is in flight (pendingAttemptId names it)',
          schema: paymentConflictSchema,
        },
      },
      handler: async ({ params, body, principal }) => ({
        status: 200,
        body: await invoices.recordPayment(params.id, {
          ...body,
          actor: actorOf(principal),
          recordedBy: principal?.kind === 'user' ? principal.userId : null,
        }),
      }),
    }),
  ];
}
