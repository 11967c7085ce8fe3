import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { HttpProblem } from '../http/problem.ts';
import { mediaType, readBodyText } from '../http/read-body.ts';
import { createStripeWebhookService, type StripeWebhookSettings } from './stripe-webhook-service.ts';

/** Stripe's events are small; a payload over this is not one. */
const MAX_EVENT_BYTES = 256 * 1024;

// The body as Stripe sends it. It is read raw: the signature is over the exact bytes, so it is
// verified before anything is parsed, and this schema only documents the shape.
const stripeEventBody = z.looseObject({ id: z.string(), type: z.string(), data: z.looseObject({ object: z.looseObject({}) }) }).meta({
  id: 'StripeEvent',
});

const stripeWebhookReceipt = z
  .object({
    eventId: z.string(),
    type: z.string(),
    duplicate: z.boolean().describe('the event was taken before (a redelivery): nothing was done again'),
    signaled: z.boolean().describe("the invoice's dunning run was told what became of its pending charge"),
  })
  .meta({ id: 'StripeWebhookReceipt' });

/** The inbound webhook of the Stripe gateway: public, authenticated by Stripe's signature alone. */
export function stripeWebhookRoutes(deps: { pg: DatabasePool; temporal: TemporalClient; stripe?: StripeWebhookSettings }): RouteDef[] {
  const service = createStripeWebhookService(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/payments/stripe/webhook',
      operationId: 'receiveStripeWebhook',
      tag: 'invoices',
      access: { public: true },
      summary: 'Stripe webhook: payment_intent.succeeded, .payment_failed and .requires_action reach the dunning run of their invoice',
      description:
        'Called by Stripe, not by clients. The `Stripe-Signature` header is verified over the raw body with STRIPE_WEBHOOK_SECRET ' +
        '(timestamps older than 5 minutes are refused as replays). Each event id is taken once; other event types, and ' +
        'PaymentIntents not made by Meterplane, are acknowledged and ignored.',
      body: { raw: true, contentTypes: ['application/json'], schema: stripeEventBody },
      responses: {
        200: { description: 'Taken (or taken before: `duplicate`)', schema: stripeWebhookReceipt },
        400: {
          description: 'No Stripe-Signature, or one that does not verify (wrong secret, altered body, too old); nothing was recorded',
        },
        413: { description: 'Body over 256 KiB' },
        415: { description: 'Content-Type is not application/json' },
        503: { description: 'Webhooks not configured, or the dunning run could not be told; nothing was recorded, Stripe retries' },
      },
      handler: async ({ ctx }) => {
        if (mediaType(ctx) !== 'application/json') {
          throw new HttpProblem(415, 'Content-Type must be application/json', {
            errors: [{ field: 'Content-Type', message: `expected application/json, got ${mediaType(ctx) || 'nothing'}` }],
          });
        }
        // The size first: a body over the limit is 413 whatever it carries, before any check of it.
        const payload = await readBodyText(ctx, MAX_EVENT_BYTES);
        const signature = ctx.get('stripe-signature');
        if (!signature)
          throw new HttpProblem(400, 'Stripe-Signature: missing', { errors: [{ field: 'Stripe-Signature', message: 'missing' }] });
        return { status: 200, body: await service.receive(payload, signature) };
      },
    }),
  ];
}
