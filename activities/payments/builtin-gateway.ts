import { createHash } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { TransientGatewayError, type ChargeRequest, type ChargeResult, type PaymentGateway } from './gateway.ts';

/**
 * The built-in deterministic gateway for development and tests. It moves no money; it keeps a
 * ledger (builtin_gateway_charges) like a provider's records, scripted per tenant through
 * tenant_payment_settings:
 * - decline_first_attempts = N: the first N distinct charge requests of each invoice are declined,
 *   later ones succeed;
 * - transient_failures_per_attempt = M: each new request first fails M times with a transient
 *   error (counted in this process), to exercise the activity retry policy.
 * A request with a key it has answered gets the same answer again and charges nothing.
 */
export function createBuiltinGateway(pg: DatabasePool): PaymentGateway {
  const transientFailures = new Map<string, number>();
  return {
    name: 'builtin',
    async charge(request: ChargeRequest): Promise<ChargeResult> {
      return withTenant(pg, request.tenantId, async (tx) => {
        const answered = await paymentsRepository.gatewayCharge(tx, request.idempotencyKey);
        if (answered) return resultOf(answered);
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
        return resultOf(recorded);
      });
    },
  };
}

function resultOf(row: { outcome: 'succeeded' | 'declined'; reference: string; decline_reason: string | null }): ChargeResult {
  return row.outcome === 'succeeded'
    ? { outcome: 'succeeded', reference: row.reference }
    : { outcome: 'declined', reference: row.reference, reason: row.decline_reason ?? 'declined' };
}
