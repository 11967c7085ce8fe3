import Stripe from 'stripe';
import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { dunningWorkflowId, gatewayAnswerSignal } from '../../workflows/contract.ts';
import { HttpProblem } from '../http/problem.ts';
import { tellWorkflow } from '../invoices/tell-workflow.ts';
import { routeOfStripeEvent } from './stripe-event.ts';

/** Stripe's own default: a signature older than five minutes is a replay. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export type StripeWebhookSettings = { webhookSecret: string; toleranceSeconds?: number };
export type StripeWebhookReceipt = { eventId: string; type: string; duplicate: boolean; signaled: boolean };

/**
 * The inbound Stripe webhook: verifies the signature over the raw body (the SDK's
 * constructEvent, with its tolerance against replays), takes the event once by its id, and tells
 * the invoice's dunning run what became of its pending charge. The record and the signal are one
 * step: the signal is sent inside the transaction that records the event, so a signal that fails
 * rolls the record back and Stripe's redelivery tries again (503); a commit that fails after the
 * signal makes the redelivery signal twice, which the run takes once (it keeps one answer per key).
 */
export function createStripeWebhookService(deps: { pg: DatabasePool; temporal: TemporalClient; stripe?: StripeWebhookSettings }) {
  return {
    async receive(payload: string, signature: string): Promise<StripeWebhookReceipt> {
      const settings = deps.stripe;
      if (!settings) throw new HttpProblem(503, 'Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET)');
      let event: Stripe.Event;
      try {
        event = Stripe.webhooks.constructEvent(
          payload,
          signature,
          settings.webhookSecret,
          settings.toleranceSeconds ?? STRIPE_SIGNATURE_TOLERANCE_SECONDS,
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new HttpProblem(400, `Stripe-Signature: ${message}`, { errors: [{ field: 'Stripe-Signature', message }] });
      }
      const route = routeOfStripeEvent(event as unknown as Parameters<typeof routeOfStripeEvent>[0]);
      return withOperator(deps.pg, async (tx) => {
        const fresh = await paymentsRepository.takeStripeEvent(tx, {
          eventId: event.id,
          type: event.type,
          paymentIntentId: route?.answer.reference ?? null,
          invoiceId: route?.invoiceId ?? null,
        });
        if (fresh && route) {
          try {
            await tellWorkflow(deps.temporal, dunningWorkflowId(route.invoiceId), (h) => h.signal(gatewayAnswerSignal, route.answer));
          } catch (err) {
            // Rolls the record back: Stripe's redelivery of the same event signals again.
            throw new HttpProblem(503, `the dunning run could not be told (${String(err)}); nothing was recorded, send the event again`, {
              headers: { 'Retry-After': '5' },
            });
          }
        }
        return { eventId: event.id, type: event.type, duplicate: !fresh, signaled: fresh && route !== null };
      });
    },
  };
}
