import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Stack } from '../stack/open-stack.ts';
import { connectTemporalWorker } from '../temporal/connect.ts';
import { createBillingWorker } from '../temporal/create-worker.ts';
import { anomalySettingsOf, ensureAnomalyScanSchedule } from '../temporal/schedules.ts';
import { meteringUsageSource } from '../../activities/invoices/metering-usage-source.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { webhookDestinationsOf } from '../config/webhook-destinations.ts';
import { startOutboxSweep } from '../temporal/outbox-sweep.ts';
import { createStripeClient } from '../../activities/payments/stripe-client.ts';
import { createStripeGateway } from '../../activities/payments/stripe-gateway.ts';

/** Starts the billing worker on the stack and registers its shutdown. */
export async function runWorker(config: Config, stack: Stack, logger: Logger, life: Lifecycle): Promise<void> {
  const connection = await connectTemporalWorker(stack.temporal.target);
  life.add('Temporal worker connection', () => connection.close());
  const deps = {
    pg: stack.pg,
    clickhouse: stack.clickhouse.client,
    temporal: stack.temporal.client,
    // Invoicing and budget alerts read usage through the metering reader.
    usage: meteringUsageSource({
      clickhouse: stack.clickhouse.client,
      findMeter: (_tenantId: string, code: string) => metersRepository.findByCode(stack.pg, code),
    }),
    webhookDestinations: webhookDestinationsOf(config),
    // The built-in gateway is always there; Stripe when a key is configured.
    ...(config.STRIPE_SECRET_KEY
      ? {
          paymentGateways: {
            stripe: createStripeGateway(
              stack.pg,
              createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE }),
            ),
          },
        }
      : {}),
  };
  const worker = await createBillingWorker({
    connection,
    namespace: stack.temporal.target.namespace,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    deps,
  });
  const running = worker.run().catch((err: unknown) => {
    logger.error({ err }, 'Temporal worker stopped with an error');
  });
  life.add('Temporal worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  life.add('webhook outbox sweep', startOutboxSweep(deps, logger));
  await ensureAnomalyScanSchedule(stack.temporal.client, anomalySettingsOf(config), logger);
}
