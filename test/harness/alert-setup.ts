import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { TestDatabase } from './postgres.ts';
import { timeSkippingEnvironment } from './temporal.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import { DAY, type EventRow } from './alerts.ts';
import { clickhouseTime } from '../../db/clickhouse/time.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { meteringUsageSource } from '../../activities/invoices/metering-usage-source.ts';
import type { ActivityDeps } from '../../activities/deps.ts';
import { planSchema, type PlanInput } from '../../domain/pricing/index.ts';
import type { Meter } from '../../domain/metering/index.ts';
import { withOperator, withTenant } from '../../db/postgres/tenant-scope.ts';
import { plansRepository, type PlanRecord } from '../../db/postgres/plans-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';

// What the alert tests set up alike: the meters and plans a budget is estimated with, a
// subscription in its current period, the usage reader, and a worker on the time-skipping server.

/** Calls: every `api_call` event counts one. */
export const CALLS_METER: Meter = { code: 'calls', name: 'Calls', eventType: 'api_call', aggregation: 'count', filters: {}, groupBy: [] };
/** Bytes: the sum of `bytes` over `transfer` events. */
export const BYTES_METER: Meter = {
  code: 'bytes',
  name: 'Bytes',
  eventType: 'transfer',
  aggregation: 'sum',
  valueProperty: 'bytes',
  filters: {},
  groupBy: [],
};

/** A current period for budget checks, as of when it is called: 10 days in, 20 to go. */
export const currentPeriod = () => ({ start: new Date(Date.now() - 10 * DAY), end: new Date(Date.now() + 20 * DAY) });

/** A monthly USD plan without a base fee. */
export const insertMonthlyPlan = (db: TestDatabase, code: string, charges: PlanInput['charges'], name = code): Promise<PlanRecord> =>
  withOperator(db.pool, (tx) =>
    plansRepository.insert(tx, planSchema.parse({ code, name, currency: 'USD', interval: 'month', baseFee: '0', charges })),
  );

/** Subscribes the tenant to the plan in `period` (its current one), as the workflow would have recorded it. */
export const subscribeInPeriod = (
  db: TestDatabase,
  tenantId: string,
  plan: Pick<PlanRecord, 'id' | 'version'>,
  period: { start: Date; end: Date },
  status: 'active' | 'trialing' = 'active',
) =>
  withTenant(db.pool, tenantId, (tx) =>
    subscriptionsRepository.insert(tx, {
      id: randomUUID(),
      tenantId,
      planId: plan.id,
      planVersion: plan.version,
      status,
      startAt: period.start,
      billingAnchor: period.start,
      trialEnd: status === 'trialing' ? period.end : null,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      nextInvoiceAt: period.end,
      workflowId: `subscription-test-${tenantId}`,
    }),
  );

/** Tenants with the given ids, each with a USD budget, written as the owner (ids chosen by the test). */
export async function insertTenantsWithBudget(
  db: TestDatabase,
  ids: readonly string[],
  budget: string,
  nameOf: (id: string) => string = (id) => `tenant ${id}`,
) {
  const owner = await db.owner();
  try {
    await owner.query(
      "INSERT INTO tenants (id, name, currency, budget) SELECT id, name, 'USD', $3 FROM unnest($1::uuid[], $2::text[]) AS t (id, name)",
      [ids, ids.map(nameOf), budget],
    );
  } finally {
    await owner.end();
  }
}

/** The production usage reader over the test's stores. */
export const usageSourceOf = (db: TestDatabase, clickhouse: ClickHouseClient) =>
  meteringUsageSource({ clickhouse, findMeter: (_tenantId, code) => metersRepository.findByCode(db.pool, code) });

/**
 * The billing worker (anomaly scan and budget checks included) on a fresh time-skipping server.
 * `deps` adds to the stores, given the environment (a worker that dispatches webhooks needs its client).
 */
export async function startScanWorker(o: {
  db: TestDatabase;
  clickhouse: ClickHouseClient;
  taskQueue: string;
  deps?: (env: TestWorkflowEnvironment) => Partial<ActivityDeps>;
}) {
  const env = await timeSkippingEnvironment();
  const deps: ActivityDeps = { pg: o.db.pool, clickhouse: o.clickhouse, ...o.deps?.(env) };
  const worker: Worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: o.taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    deps,
  });
  const running = worker.run();
  return {
    env,
    worker,
    deps,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** A real receiver, with an endpoint subscribed to alert.created. */
export async function startAlertReceiver(db: TestDatabase): Promise<WebhookReceiver> {
  const receiver = await startWebhookReceiver();
  await withOperator(db.pool, (tx) =>
    webhooksRepository.insertEndpoint(tx, {
      url: receiver.url,
      events: ['alert.created'],
      secret: `whsec_${randomBytes(24).toString('base64')}`,
    }),
  );
  return receiver;
}

/** `n` events of `type` one millisecond apart from `fromMs`, with the ids and data the test gives. */
export const eventsEveryMs = (
  tenantId: string,
  type: string,
  fromMs: number,
  n: number,
  idOf: (k: number) => string,
  data: string = '{}',
): EventRow[] =>
  Array.from({ length: n }, (_, k) => ({
    tenant_id: tenantId,
    event_id: idOf(k),
    event_type: type,
    subject: tenantId,
    source: 'test',
    event_time: clickhouseTime(fromMs + k),
    data,
  }));
