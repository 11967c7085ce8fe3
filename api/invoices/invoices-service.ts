import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import { withOperator, withScope, withTenant, type Scope } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository, type InvoiceFilter, type InvoiceRow } from '../../db/postgres/invoices-repository.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { invoiceFacts, writeInvoiceDecision, type ReceivedMoney } from '../../db/postgres/invoice-decisions.ts';
import {
  decideInvoice,
  type InvoiceActor,
  type InvoiceCommand,
  type InvoiceRefusal,
  type Overpayment,
} from '../../domain/billing/index.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { invoiceNowKeysRepository } from '../../db/postgres/invoice-now-keys-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { listMeterEvents } from '../../db/clickhouse/usage-reader.ts';
import { decimalStringProblem, fromMinorUnits, formatAmount, minorUnitDigits, toDecimal, toMinorUnits } from '../../domain/money/index.ts';
import type { Tx } from '../../db/postgres/tenant-scope.ts';
import { dunningWorkflowId, invoiceSettledSignal, stopDunningSignal, subscriptionWorkflowId } from '../../workflows/contract.ts';
import { tellWorkflow } from './tell-workflow.ts';
import { HttpProblem, badRequest, forbidden, notFound } from '../http/problem.ts';
import { randomUUID } from 'node:crypto';
import { toInvoice, toInvoiceSummary, type InvoiceJson, type InvoiceListItemJson } from './invoice-schemas.ts';

export const MAX_DRILL_DOWN_EVENTS = 1000;

/**
 * The answer to a refused change. A payment attempt in flight is 409 naming it: the caller may
 * retry once it has an outcome (a charge is held at most as long as the gateway takes to answer).
 */
function refusalProblem(refusal: InvoiceRefusal, currency: string): HttpProblem {
  const money = (minor: bigint) => formatAmount(fromMinorUnits(minor, currency), currency);
  switch (refusal.code) {
    case 'charge_pending':
      return new HttpProblem(409, refusal.message, { extensions: { pendingAttemptId: refusal.pendingAttemptId } });
    case 'exceeds_amount_due':
      return badRequest('amount', `is more than the amount due (${money(refusal.remainingMinor ?? 0n)})`);
    case 'invalid_amount':
      return badRequest('amount', refusal.message);
    case 'not_permitted':
      return forbidden(refusal.message);
    default:
      return new HttpProblem(409, refusal.message);
  }
}

export function createInvoicesService(deps: { pg: DatabasePool; clickhouse: ClickHouseClient; temporal: TemporalClient }) {
  const { pg } = deps;

  const tell = (workflowId: string, send: Parameters<typeof tellWorkflow>[2]) => tellWorkflow(deps.temporal, workflowId, send);

  async function settled(invoice: InvoiceRow, reason: 'paid' | 'void') {
    await tell(dunningWorkflowId(invoice.id), (h) => h.signal(stopDunningSignal, { reason }));
    await tell(subscriptionWorkflowId(invoice.subscription_id), (h) =>
      h.signal(invoiceSettledSignal, { invoiceId: invoice.id, status: reason }),
    );
  }

  /** Asks the state machine about a locked invoice and writes its decision, or answers its refusal. */
  async function decideAndWrite(tx: Tx, invoice: InvoiceRow, command: InvoiceCommand, at: Date, received?: ReceivedMoney) {
    const pending = await paymentsRepository.pendingAttempt(tx, invoice.id);
    const decision = decideInvoice(invoiceFacts(invoice, pending), command);
    if (!decision.ok) throw refusalProblem(decision, invoice.currency);
    return writeInvoiceDecision(tx, invoice, decision, { at, received });
  }

  async function one(scope: Scope, id: string): Promise<InvoiceJson> {
    return withScope(pg, scope, async (tx) => {
      const row = await invoicesRepository.findById(tx, id);
      if (!row) throw notFound('invoice');
      return toInvoice(row, await invoicesRepository.lines(tx, id));
    });
  }

  return {
    get: one,

    /** A page of invoices; their lines only with `withLines` (one more query for the whole page). */
    async list(
      scope: Scope,
      filter: InvoiceFilter & { limit: number; offset: number },
      withLines = false,
    ): Promise<{ items: InvoiceListItemJson[]; total: number }> {
      return withScope(pg, scope, async (tx) => {
        const [rows, total] = await Promise.all([invoicesRepository.list(tx, filter), invoicesRepository.count(tx, filter)]);
        if (!withLines) return { items: rows.map(toInvoiceSummary), total };
        const lines = await invoicesRepository.linesOf(
          tx,
          rows.map((r) => r.id),
        );
        return {
          items: rows.map((r) =>
            toInvoice(
              r,
              lines.filter((l) => l.invoice_id === r.id),
            ),
          ),
          total,
        };
      });
    },

    async pdf(scope: Scope, id: string): Promise<{ number: string; pdf: Buffer }> {
      return withScope(pg, scope, async (tx) => {
        const row = await invoicesRepository.findById(tx, id);
        if (!row) throw notFound('invoice');
        const pdf = await invoicesRepository.pdf(tx, id);
        if (!pdf || !row.number) throw new HttpProblem(409, 'the invoice is a draft: it has no PDF until it is finalized');
        return { number: row.number, pdf };
      });
    },

    /**
     * finalized | payment_failed → void (finance, admin), through the invoice state machine.
     * Dunning stops. Refused (409, naming the attempt) while a charge is in flight; what was
     * already paid on the invoice becomes tenant credit.
     */
    async void(id: string, actor: InvoiceActor, at = new Date()): Promise<InvoiceJson> {
      const row = await withOperator(pg, async (tx) => {
        const invoice = await invoicesRepository.lockById(tx, id);
        if (!invoice) throw notFound('invoice');
        return (await decideAndWrite(tx, invoice, { action: 'void', actor }, at)).invoice;
      });
      await settled(row, 'void');
      return one({ kind: 'operator' }, id);
    },

    /**
     * Records money received outside the gateway (finance, admin): a decimal string in the
     * invoice's currency. By default at most what the invoice still owes, and refused on a paid
     * invoice; with overpayment 'credit', what it no longer owes becomes tenant credit. Refused
     * (409, naming the attempt) while a charge is in flight. Once fully paid, the invoice is paid
     * and dunning stops.
     */
    async recordPayment(
      id: string,
      p: { amount: string; reference: string; recordedBy: string | null; actor: InvoiceActor; overpayment?: Overpayment },
      at = new Date(),
    ): Promise<InvoiceJson> {
      const { row, nowPaid } = await withOperator(pg, async (tx) => {
        const invoice = await invoicesRepository.lockById(tx, id);
        if (!invoice) throw notFound('invoice');
        const digits = minorUnitDigits(invoice.currency);
        const problem = decimalStringProblem(p.amount, { nonNegative: true });
        if (problem) throw badRequest('amount', problem);
        const amount = toDecimal(p.amount);
        if (amount.lte(0)) throw badRequest('amount', 'must be greater than 0');
        if (amount.decimalPlaces() > digits) throw badRequest('amount', `must have at most ${digits} decimals in ${invoice.currency}`);
        const amountMinor = toMinorUnits(amount, invoice.currency);
        const command: InvoiceCommand = { action: 'manual_payment', actor: p.actor, amountMinor, overpayment: p.overpayment ?? 'refuse' };
        const { invoice: written } = await decideAndWrite(tx, invoice, command, at, {
          method: 'manual',
          amountMinor,
          reference: p.reference,
          recordedBy: p.recordedBy,
        });
        return { row: written, nowPaid: invoice.status !== 'paid' && written.status === 'paid' };
      });
      if (nowPaid) await settled(row, 'paid');
      return one({ kind: 'operator' }, id);
    },

    /**
     * The invoice id an invoice-now request with an Idempotency-Key stands for: a new one for a new
     * key, the first request's for a repeat (also when two arrive at once). Keys are per tenant; a
     * key used for another subscription is 422. `issued` is the invoice once it exists.
     */
    async claimInvoiceNowKey(scope: Scope, subscriptionId: string, key: string): Promise<{ invoiceId: string; issued: InvoiceRow | null }> {
      const subscription = await withScope(pg, scope, (tx) => subscriptionsRepository.findById(tx, subscriptionId));
      if (!subscription) throw notFound('subscription');
      return withTenant(pg, subscription.tenant_id, async (tx) => {
        const claim = await invoiceNowKeysRepository.claim(tx, {
          tenantId: subscription.tenant_id,
          key,
          subscriptionId,
          invoiceId: randomUUID(),
        });
        if (claim.subscription_id !== subscriptionId) {
          throw new HttpProblem(422, 'this Idempotency-Key was already used for another subscription; send a new key for a new request', {
            errors: [{ field: 'Idempotency-Key', message: 'was used with another request body' }],
          });
        }
        return { invoiceId: claim.invoice_id, issued: await invoicesRepository.findById(tx, claim.invoice_id) };
      });
    },

    /** Up to 1,000 of the deduplicated events behind a usage or adjustment line. */
    async usageEvents(scope: Scope, id: string, position: number) {
      const { invoice, line } = await withScope(pg, scope, async (tx) => {
        const invoice = await invoicesRepository.findById(tx, id);
        if (!invoice) throw notFound('invoice');
        const line = (await invoicesRepository.lines(tx, id)).find((l) => l.position === position);
        if (!line) throw notFound('invoice line');
        return { invoice, line };
      });
      if (!line.meter || !line.usage_from || !line.usage_to) throw badRequest('line', 'is not a usage or adjustment line');
      const meter = await metersRepository.findByCode(pg, line.meter);
      if (!meter) throw notFound('meter');
      const events = await listMeterEvents(deps.clickhouse, {
        tenantId: invoice.tenant_id,
        meter,
        from: line.usage_from,
        to: line.usage_to,
        limit: MAX_DRILL_DOWN_EVENTS,
      });
      return {
        invoiceId: id,
        line: position,
        meter: line.meter,
        from: line.usage_from.toISOString(),
        to: line.usage_to.toISOString(),
        eventCount: String(line.event_count ?? 0n),
        limit: MAX_DRILL_DOWN_EVENTS,
        events,
      };
    },
  };
}

export type InvoicesService = ReturnType<typeof createInvoicesService>;
