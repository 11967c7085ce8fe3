import Stripe from 'stripe';
import type { DatabasePool } from 'slonik';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { TransientGatewayError, type ChargeQuery, type ChargeRequest, type ChargeResult, type PaymentGateway } from './gateway.ts';
import { declineReason, outcomeOfPaymentIntent, stripeAmount } from './stripe-outcome.ts';

/**
 * The Stripe gateway. Each charge is an off-session PaymentIntent, confirmed at once, with the
 * attempt's key `<invoiceId>:<attempt>` as Stripe's idempotency key: a retried activity (or the
 * SDK's own retry) gets the first PaymentIntent back instead of a second charge. The metadata
 * names the tenant, invoice and key, so a webhook event finds its dunning run. The tenant's
 * Stripe customer is created the first time it is charged (idempotent per tenant) and stored.
 * The payment method is the customer's default (invoice_settings.default_payment_method), which
 * the tenant's card setup at Stripe sets; without one Stripe declines the charge.
 *
 * Errors: a card error or an invalid request is a decline (the card or the request will not
 * change on a retry); network errors, 5xx, rate limits and authentication failures are transient
 * and retried (a wrong key must not decline every customer).
 */
export function createStripeGateway(pg: DatabasePool, stripe: Stripe): PaymentGateway {
  async function customerOf(tenantId: string): Promise<string> {
    const stored = await withTenant(pg, tenantId, (tx) => paymentsRepository.stripeCustomerId(tx, tenantId));
    if (stored) return stored;
    const tenant = await withTenant(pg, tenantId, (tx) => tenantsRepository.findById(tx, tenantId));
    const created = await stripe.customers.create(
      { name: tenant?.name ?? tenantId, metadata: { tenant_id: tenantId } },
      // Two first charges of one tenant at once create one customer; if both still race past
      // Stripe's 24 h idempotency window, the first stored wins.
      { idempotencyKey: `customer:${tenantId}` },
    );
    return withTenant(pg, tenantId, (tx) => paymentsRepository.storeStripeCustomerId(tx, tenantId, created.id));
  }

  async function defaultPaymentMethod(customerId: string): Promise<string | undefined> {
    const customer = await stripe.customers.retrieve(customerId);
    if (customer.deleted) return undefined;
    const method = customer.invoice_settings?.default_payment_method;
    return typeof method === 'string' ? method : (method?.id ?? undefined);
  }

  return {
    name: 'stripe',
    async charge(request: ChargeRequest): Promise<ChargeResult> {
      const amount = stripeAmount(request.amountMinor);
      return stripeCall(request.idempotencyKey, async () => {
        const customer = await customerOf(request.tenantId);
        const paymentMethod = await defaultPaymentMethod(customer);
        const intent = await stripe.paymentIntents.create(
          {
            amount,
            currency: request.currency.toLowerCase(),
            customer,
            ...(paymentMethod ? { payment_method: paymentMethod } : {}),
            confirm: true,
            off_session: true,
            description: `Meterplane invoice ${request.invoiceId}`,
            metadata: { tenant_id: request.tenantId, invoice_id: request.invoiceId, idempotency_key: request.idempotencyKey },
          },
          { idempotencyKey: request.idempotencyKey },
        );
        return outcomeOfPaymentIntent(intent);
      });
    },

    /**
     * By the PaymentIntent when one was answered. Without a reference the charge's answer was
     * lost: null, so it is sent again with the same key, which Stripe answers with the first
     * PaymentIntent (within its 24 h idempotency window; dunning retries an unanswered attempt
     * within the hour).
     */
    async outcome(query: ChargeQuery): Promise<ChargeResult | null> {
      if (!query.reference) return null;
      const reference = query.reference;
      return stripeCall(query.idempotencyKey, async () => outcomeOfPaymentIntent(await stripe.paymentIntents.retrieve(reference)));
    },

    /** Cancels a PaymentIntent whose webhook never came; one that reached an outcome first keeps it. */
    async cancel(query: ChargeQuery & { reference: string }): Promise<ChargeResult> {
      try {
        const canceled = await stripe.paymentIntents.cancel(
          query.reference,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: `${query.idempotencyKey}:cancel` },
        );
        // A cancel Stripe accepted means the charge can no longer collect, whatever the status it reports.
        const result = outcomeOfPaymentIntent(canceled);
        return result.outcome === 'pending' ? { outcome: 'declined', reference: canceled.id, reason: 'canceled: abandoned' } : result;
      } catch (err) {
        if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw transient(err);
        // Not cancelable (succeeded meanwhile, or a debit already processing): what it is now.
        return stripeCall(query.idempotencyKey, async () => outcomeOfPaymentIntent(await stripe.paymentIntents.retrieve(query.reference)));
      }
    },
  };
}

async function stripeCall(idempotencyKey: string, call: () => Promise<ChargeResult>): Promise<ChargeResult> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Stripe.errors.StripeCardError) {
      const intent = (err.raw as { payment_intent?: { id?: string } } | undefined)?.payment_intent;
      return { outcome: 'declined', reference: intent?.id ?? idempotencyKey, reason: declineReason(err) ?? 'card_declined' };
    }
    if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeIdempotencyError) {
      return { outcome: 'declined', reference: idempotencyKey, reason: err.code ?? err.type };
    }
    throw transient(err);
  }
}

function transient(err: unknown): Error {
  if (err instanceof TransientGatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TransientGatewayError(`stripe: ${message}`);
}
