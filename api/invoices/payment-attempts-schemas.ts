import { z } from 'zod';

export const paymentAttemptsResponse = z
  .object({
    invoiceId: z.uuid(),
    attempts: z.array(
      z.object({
        id: z.uuid(),
        attempt: z.number().int().describe('1-based, in the order dunning made them'),
        status: z.enum(['pending', 'succeeded', 'declined']).describe('pending: the charge is at the gateway now'),
        amount: z.string().describe("what was charged, in the invoice's currency"),
        gateway: z.string(),
        gatewayReference: z.string().nullable(),
        failureReason: z.string().nullable(),
        startedAt: z.iso.datetime(),
        completedAt: z.iso.datetime().nullable(),
      }),
    ),
    nextRetryAt: z.iso
      .datetime()
      .nullable()
      .describe('when dunning tries next, from the live dunning workflow; null when it has ended or none runs'),
    dunning: z
      .enum(['running', 'ended', 'none', 'unknown'])
      .describe(
        'running: the dunning workflow answered; ended: it has finished; none: no dunning was started; unknown: Temporal or its worker did not answer (within 2 s)',
      ),
  })
  .meta({ id: 'PaymentAttempts' });
export type PaymentAttempts = z.infer<typeof paymentAttemptsResponse>;
