import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { withScope, type Scope } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository } from '../../db/postgres/invoices-repository.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { formatAmount, fromMinorUnits } from '../../domain/money/index.ts';
import { dunningStatusQuery, dunningWorkflowId } from '../../workflows/contract.ts';
import { notFound } from '../http/problem.ts';
import type { PaymentAttempts } from './payment-attempts-schemas.ts';

/** How long the next-retry question may wait for a worker before the page goes without it. */
const QUERY_TIMEOUT_MS = 2_000;

/**
 * An invoice's payment attempts (PostgreSQL, row-level secured: another tenant's invoice is a
 * 404) and when dunning tries next, asked of the dunning workflow itself, since the retry
 * schedule lives in its timers.
 */
export function createPaymentAttemptsService(deps: { pg: DatabasePool; temporal: TemporalClient }) {
  async function nextRetry(invoiceId: string): Promise<Pick<PaymentAttempts, 'nextRetryAt' | 'dunning'>> {
    try {
      const handle = deps.temporal.workflow.getHandle(dunningWorkflowId(invoiceId));
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return { nextRetryAt: null, dunning: 'ended' };
      const status = await Promise.race([
        handle.query(dunningStatusQuery),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), QUERY_TIMEOUT_MS).unref()),
      ]);
      return status ? { nextRetryAt: status.nextAttemptAt, dunning: 'running' } : { nextRetryAt: null, dunning: 'unknown' };
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return { nextRetryAt: null, dunning: 'none' };
      // The attempts are the record; without Temporal the page still shows them, only not the next retry.
      return { nextRetryAt: null, dunning: 'unknown' };
    }
  }

  return {
    async list(scope: Scope, invoiceId: string): Promise<PaymentAttempts> {
      const { invoice, attempts } = await withScope(deps.pg, scope, async (tx) => {
        const invoice = await invoicesRepository.findById(tx, invoiceId);
        if (!invoice) throw notFound('invoice');
        return { invoice, attempts: await paymentsRepository.attempts(tx, invoiceId) };
      });
      const money = (minor: bigint) => formatAmount(fromMinorUnits(minor, invoice.currency), invoice.currency);
      return {
        invoiceId,
        attempts: attempts.map((a) => ({
          id: a.id,
          attempt: a.attempt,
          status: a.status,
          amount: money(a.amount_minor),
          gateway: a.gateway,
          gatewayReference: a.gateway_reference,
          failureReason: a.failure_reason,
          startedAt: a.created_at.toISOString(),
          completedAt: a.completed_at?.toISOString() ?? null,
        })),
        ...(await nextRetry(invoiceId)),
      };
    },
  };
}
