import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabasePool } from 'slonik';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { TransientGatewayError, type ChargeRequest, type ChargeResult, type PaymentGateway } from './gateway.ts';

/**
 * The built-in deterministic gateway for development and tests. It moves no money; it keeps a
 * ledger (builtin_gateway_charges) like a provider's records, in PostgreSQL so that every worker
 * process sees the same one, scripted per tenant through tenant_payment_settings:
 * - decline_first_attempts = N: the first N distinct charge requests of each invoice are declined,
 *   later ones succeed;
 * - transient_failures_per_attempt = M: each new request first fails M times with a transient
 *   error (counted in this process), to exercise the activity retry policy;
 * - charge_delay_ms = D: a new charge is recorded at once, and answered D ms later, so a test
 *   can act (or kill the worker) while the charge is in flight.
 * A request with a key it has answered gets the same answer again, at once, and charges nothing.
 */
export function createBuiltinGateway(pg: DatabasePool): PaymentGateway {
  const transientFailures = new Map<string, number>();
  return {
    name: 'builtin',
    async charge(request: ChargeRequest): Promise<ChargeResult> {
      const { result, delayMs } = await withTenant(pg, request.tenantId, async (tx) => {
        const answered = await paymentsRepository.gatewayCharge(tx, request.idempotencyKey);
        if (answered) return { result: resultOf(answered), delayMs: 0 };
        const settings = await paymentsRepository.settings(tx, request.tenantId);
        const failures = transientFailures.get(request.idempotencyKey) ?? 0;
        if (failures < (settings?.transient_failures_per_attempt ?? 0)) {
          transientFailures.set(request.idempotencyKey, failures + 1);
          throw new TransientGatewayError(`builtin gateway: transient failure ${failures + 1} for ${request.idempotencyKey}`);
        }
        const earlier = await paymentsRepository.gatewayChargeCount(tx, request.tenantId, request.invoiceId);
        const declined = earlier < (settings?.decline_first_attempts ?? 0);
        const reference = `bgw_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 20)}`;
        const recorded = await paymentsRepository.recordGatewayCharge(tx, {
          idempotency_key: request.idempotencyKey,
          tenant_id: request.tenantId,
          invoice_id: request.invoiceId,
          amount_minor: request.amountMinor,
          currency: request.currency,
          outcome: declined ? 'declined' : 'succeeded',
          reference,
          decline_reason: declined ? 'card_declined' : null,
        });
        return { result: resultOf(recorded), delayMs: settings?.charge_delay_ms ?? 0 };
      });
      // The charge is committed: from here on, whatever happens to this process, it has happened.
      if (delayMs > 0) await sleep(delayMs);
      return result;
    },

    async outcome({ tenantId, idempotencyKey }) {
      const answered = await withTenant(pg, tenantId, (tx) => paymentsRepository.gatewayCharge(tx, idempotencyKey));
      return answered ? resultOf(answered) : null;
    },
  };
}

function resultOf(row: { outcome: 'succeeded' | 'declined'; reference: string; decline_reason: string | null }): ChargeResult {
  return row.outcome === 'succeeded'
    ? { outcome: 'succeeded', reference: row.reference }
    : { outcome: 'declined', reference: row.reference, reason: row.decline_reason ?? 'declined' };
}
