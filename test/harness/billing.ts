import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { timeSkippingEnvironment } from './temporal.ts';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { createTestClickHouse } from './clickhouse.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { invoicesRepository, type InvoiceLineRow, type InvoiceRow } from '../../db/postgres/invoices-repository.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { createUsageEventWriter, pendingRow } from '../../db/clickhouse/usage-writer.ts';
import { clickhouseMicroTime, clickhouseTime } from '../../db/clickhouse/time.ts';
import { parseMeter, type Meter, type MeterInput } from '../../domain/metering/index.ts';
import { planSchema, type PlanInput } from '../../domain/pricing/index.ts';
import { TASK_QUEUE } from '../../workflows/contract.ts';
import type { PaymentGateway } from '../../activities/payments/gateway.ts';
import { createTestApi, type TestApi } from './api.ts';
import type { WireLine, WriteInvoiceInput } from '../../activities/invoices/invoice-activities.ts';

export type UsageEventInput = { id: string; type: string; time: string | Date; data?: Record<string, unknown> };
export type InvoiceWithLines = InvoiceRow & { lines: readonly InvoiceLineRow[] };

/**
 * Real PostgreSQL, real ClickHouse (embedded), the real billing worker (bundled workflows +
 * createActivities) on the given Temporal environment, and the API's subscriptions service.
 */
export async function createBillingHarness(
  opts: {
    searchAttributes?: boolean;
    dunningScheduleDays?: number[];
    /** Gateways beside the built-in one (the Stripe gateway against stripe-mock). */
    paymentGateways?: (pg: TestDatabase['pool']) => Readonly<Record<string, PaymentGateway>>;
  } = {},
) {
  const [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  const attached: Array<{ worker: Worker; running: Promise<void> }> = [];
  let current: { env: TestWorkflowEnvironment; subscriptions: ReturnType<typeof createSubscriptionsService> } | undefined;

  /**
   * Runs the billing worker on `env` and points the subscriptions service at it. The test server's
   * clock only moves forward (and keeps moving after a result is awaited), so scenarios with fixed
   * dates each take a fresh environment.
   */
  async function attach(env: TestWorkflowEnvironment) {
    const worker: Worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowBundlePath: inject('workflowBundlePath'),
      deps: {
        pg: db.pool,
        clickhouse: ch.client,
        temporal: env.client,
        taskQueue: TASK_QUEUE,
        ...(opts.paymentGateways ? { paymentGateways: opts.paymentGateways(db.pool) } : {}),
      },
    });
    const entry = { worker, running: worker.run() };
    attached.push(entry);
    const subscriptions = createSubscriptionsService({
      pg: db.pool,
      temporal: env.client,
      searchAttributes: opts.searchAttributes ?? false,
      ...(opts.dunningScheduleDays ? { dunningScheduleDays: opts.dunningScheduleDays } : {}),
    });
    current = { env, subscriptions };
    return {
      subscriptions,
      async detach() {
        worker.shutdown();
        await entry.running.catch(() => {});
        attached.splice(attached.indexOf(entry), 1);
      },
    };
  }

  const writer = createUsageEventWriter(ch.client);
  let deliveries = 0;

  return {
    db,
    ch,
    attach,
    get subscriptions() {
      if (!current) throw new Error('attach a Temporal environment first');
      return current.subscriptions;
    },
    /** Defines a meter as an admin would (the meters table the usage reader looks codes up in). */
    async defineMeter(input: MeterInput): Promise<Meter> {
      return metersRepository.insert(db.pool, parseMeter(input));
    },
    async createTenant(t: { name: string; currency?: string; taxRate?: string }) {
      return withOperator(db.pool, (tx) =>
        tenantsRepository.insert(tx, { name: t.name, currency: t.currency ?? 'USD', taxRate: t.taxRate ?? '0' }),
      );
    },
    async createPlan(plan: PlanInput) {
      return withOperator(db.pool, (tx) => plansRepository.insert(tx, planSchema.parse(plan)));
    },
    /** The built-in gateway's script for a tenant (every field not given is 0). */
    async setPayments(
      tenantId: string,
      s: { declineFirstAttempts?: number; transientFailuresPerAttempt?: number; chargeDelayMs?: number },
    ) {
      await withOperator(db.pool, (tx) =>
        paymentsRepository.upsertSettings(tx, tenantId, {
          gateway: 'builtin',
          declineFirstAttempts: s.declineFirstAttempts ?? 0,
          transientFailuresPerAttempt: s.transientFailuresPerAttempt ?? 0,
          chargeDelayMs: s.chargeDelayMs ?? 0,
        }),
      );
    },
    /** Writes events through the ingest path's writer; each call is one accepted batch, later than the previous. */
    async sendEvents(tenantId: string, events: readonly UsageEventInput[]) {
      const base = Date.now() * 1000;
      await writer(
        events.map((e) => {
          deliveries += 1;
          const micros = base + deliveries;
          return pendingRow({
            tenantId,
            eventId: e.id,
            eventType: e.type,
            eventTime: clickhouseTime(new Date(e.time).getTime()),
            subject: '',
            source: 'test',
            data: JSON.stringify(e.data ?? {}),
            ingestedAt: clickhouseMicroTime(micros),
          });
        }),
      );
    },
    async invoicesOf(subscriptionId: string): Promise<InvoiceWithLines[]> {
      return withOperator(db.pool, async (tx) => {
        const invoices = await invoicesRepository.list(tx, { subscriptionId, limit: 1000, offset: 0 });
        const ordered = [...invoices].sort((a, b) => a.period_start.getTime() - b.period_start.getTime());
        return Promise.all(ordered.map(async (i) => ({ ...i, lines: await invoicesRepository.lines(tx, i.id) })));
      });
    },
    /** Rows of a table as the table owner sees them (no RLS): for assertions only. */
    async ownerQuery<T>(text: string, values: unknown[] = []): Promise<T[]> {
      const owner = await db.owner();
      try {
        return (await owner.query(text, values)).rows as T[];
      } finally {
        await owner.end();
      }
    },
    async dispose() {
      for (const entry of attached) entry.worker.shutdown();
      await Promise.all(attached.map((e) => e.running.catch(() => {})));
      await Promise.all([db.drop(), ch.dispose()]);
    },
  };
}

export type BillingHarness = Awaited<ReturnType<typeof createBillingHarness>>;

/** Minor units as the decimal text an invoice shows (2 digits): 2365n → "23.65", -5n → "-0.05". */
export const cents = (minor: bigint | null) => {
  if (minor === null) return null;
  const digits = (minor < 0n ? -minor : minor).toString().padStart(3, '0');
  return `${minor < 0n ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
};
export type { TestDatabase };

/**
 * Writes (without finalizing) the draft an invoice-now of `year` would write for a subscription on
 * a yearly plan: one whole year, so the base fee is the plan's, plus any `adjustments`. For tests
 * that drive the invoice activities by hand beside the workflow's own invoices; the year names
 * the window, so each call is its own invoice. Returns the draft's id.
 */
export async function writeYearInvoice(
  activities: { writeInvoice: (input: WriteInvoiceInput) => Promise<unknown> },
  x: { tenantId: string; subscriptionId: string; plan: { id: string; version: number }; year: number; adjustments?: WireLine[] },
): Promise<string> {
  const invoiceId = randomUUID();
  const window = { start: `${x.year}-01-01T00:00:00.000Z`, end: `${x.year + 1}-01-01T00:00:00.000Z` };
  await activities.writeInvoice({
    invoiceId,
    tenantId: x.tenantId,
    subscriptionId: x.subscriptionId,
    reason: 'invoice_now',
    currency: 'USD',
    period: window,
    serviceFrom: window.start,
    serviceEnd: window.end,
    segments: [{ from: window.start, to: window.end, planId: x.plan.id, version: x.plan.version }],
    usage: [{}],
    adjustments: x.adjustments ?? [],
  });
  return invoiceId;
}

export type BillingScenarios = {
  h: BillingHarness;
  env: TestWorkflowEnvironment;
  /** Skips the test server's clock to `at` (an ISO instant). */
  sleepUntil: (at: string) => Promise<void>;
};

/**
 * Registers a file's hooks: one billing harness for the file (prepared by `setup`), and for each
 * test a fresh time-skipping server with the billing worker attached, because each scenario has
 * fixed dates and the server's clock only moves on. The fields are filled in before each test.
 */
export function useBillingScenarios(setup?: (h: BillingHarness) => Promise<unknown>): BillingScenarios {
  const s = {
    sleepUntil: async (at: string) => s.env.sleep(new Date(at).getTime() - (await s.env.currentTimeMs())),
  } as BillingScenarios;
  beforeAll(async () => {
    s.h = await createBillingHarness();
    await setup?.(s.h);
  });
  afterAll(async () => s.h?.dispose());
  beforeEach(async () => {
    s.env = await timeSkippingEnvironment();
    const worker = await s.h.attach(s.env);
    return async () => {
      await worker.detach();
      await s.env.teardown();
    };
  });
  return s;
}

export type BillingApi = { env: TestWorkflowEnvironment; h: BillingHarness; api: TestApi };

/**
 * One time-skipping server for a whole file, the billing worker on it, and the real app over
 * the harness's database and ClickHouse, driving that server (search attributes off: the
 * test server has none registered). `meters` are defined before the app's caches start.
 */
export async function startBillingApi(meters: MeterInput[] = []): Promise<BillingApi> {
  const env = await timeSkippingEnvironment();
  const h = await createBillingHarness();
  await h.attach(env);
  for (const meter of meters) await h.defineMeter(meter);
  const api = await createTestApi({
    db: h.db,
    clickhouse: h.ch.client,
    temporal: env.client,
    deps: { billing: { searchAttributes: false } },
  });
  return { env, h, api };
}

export async function stopBillingApi(b: Partial<BillingApi>): Promise<void> {
  await b.h?.dispose();
  await b.env?.teardown();
}
