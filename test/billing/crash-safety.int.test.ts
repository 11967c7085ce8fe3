import { until } from '../harness/until.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerEnvironment } from '../harness/temporal.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { paymentsRepository } from '../../db/postgres/payments-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import { planSchema } from '../../domain/pricing/index.ts';

// Crash safety: a real worker process is killed with SIGKILL in the middle of closing a period
// and a new one takes over (CLI dev server, real time). Exactly one invoice is issued for the
// period, and it is charged successfully at most once.

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let dir: string;
const workers: ChildProcess[] = [];
const DAY = 86_400_000;

beforeAll(async () => {
  [env, db] = await Promise.all([devServerEnvironment(), createTestDatabase()]);
  dir = await mkdtemp(join(tmpdir(), 'meterplane-crash-'));
  await metersRepository.insert(db.pool, parseMeter({ code: 'calls', name: 'Calls', eventType: 'call', aggregation: 'count' }));
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  await Promise.all([env?.teardown(), db?.drop()]);
  await rm(dir, { recursive: true, force: true });
});

let workerCount = 0;
/** Starts `test/harness/billing-worker-process.ts` as its own process (own embedded ClickHouse folder). */
async function startWorker(): Promise<ChildProcess> {
  workerCount += 1;
  const child = spawn(process.execPath, [join(import.meta.dirname, '../harness/billing-worker-process.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      DATABASE_URL: db.appUrl,
      CHDB_PATH: join(dir, `ch-${workerCount}`),
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
  return child;
}

async function kill(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const rows = async <T>(text: string, values: unknown[]): Promise<T[]> => {
  const owner = await db.owner();
  try {
    return (await owner.query(text, values)).rows as T[];
  } finally {
    await owner.end();
  }
};

async function subscribeBackDated(
  name: string,
  payments: { declineFirstAttempts: number; transientFailuresPerAttempt: number; chargeDelayMs?: number },
) {
  const tenant = await withOperator(db.pool, (tx) => tenantsRepository.insert(tx, { name, taxRate: '0.2' }));
  await withOperator(db.pool, (tx) => paymentsRepository.upsertSettings(tx, tenant.id, { gateway: 'builtin', ...payments }));
  const plan = await withOperator(db.pool, (tx) =>
    plansRepository.insert(
      tx,
      planSchema.parse({
        code: `crash-${name}`,
        name: 'Crash',
        currency: 'USD',
        interval: 'month',
        baseFee: '50',
        gracePeriodSeconds: 0,
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.1' }],
      }),
    ),
  );
  const subscriptions = createSubscriptionsService({ pg: db.pool, temporal: env.client, searchAttributes: true });
  // Started 40 days ago: the first period has ended, so closing it begins at once.
  return subscriptions
    .create({ tenantId: tenant.id, planId: plan.id, startAt: new Date(Date.now() - 40 * DAY) })
    .then((s) => ({ ...s, tenant }));
}

async function expectOneInvoiceChargedOnce(subscriptionId: string, tenantId: string) {
  const invoice = await until(
    'the invoice to be paid',
    async () => {
      const [row] = await rows<{ id: string; status: string; total_minor: string; amount_paid_minor: string }>(
        "SELECT id, status, total_minor, amount_paid_minor FROM invoices WHERE subscription_id = $1 AND status = 'paid'",
        [subscriptionId],
      );
      return row;
    },
    110_000,
    200,
  );
  // Base fee 50, no calls, tax 20 % = 60.00, paid in full once.
  expect(invoice).toMatchObject({ total_minor: '6000', amount_paid_minor: '6000' });
  expect(await rows('SELECT count(*)::int AS n FROM invoices WHERE subscription_id = $1', [subscriptionId])).toEqual([{ n: 1 }]);
  expect(
    await rows("SELECT count(*)::int AS n FROM payment_attempts WHERE invoice_id = $1 AND status = 'succeeded'", [invoice.id]),
  ).toEqual([{ n: 1 }]);
  expect(
    await rows("SELECT count(*)::int AS n FROM builtin_gateway_charges WHERE tenant_id = $1 AND outcome = 'succeeded'", [tenantId]),
  ).toEqual([{ n: 1 }]);
  expect(
    await rows('SELECT count(*)::int AS n, sum(amount_minor)::text AS total FROM payments WHERE invoice_id = $1', [invoice.id]),
  ).toEqual([{ n: 1, total: '6000' }]);
}

describe('a worker killed with SIGKILL while closing a period', () => {
  it('as soon as the invoice is written: a new worker finishes it; one invoice, one charge', async () => {
    const first = await startWorker();
    const sub = await subscribeBackDated('killed-after-write', { declineFirstAttempts: 0, transientFailuresPerAttempt: 0 });
    await until('the invoice row', async () => (await rows('SELECT id FROM invoices WHERE subscription_id = $1', [sub.id]))[0], 30_000, 5);
    await kill(first);
    await startWorker();
    await expectOneInvoiceChargedOnce(sub.id, sub.tenant.id);
  });

  it('as soon as the invoice is numbered (the close runs its steps in one workflow task, not yet recorded): one invoice, one number, one event, one charge', async () => {
    if (workers.every((w) => w.exitCode !== null || w.signalCode !== null)) await startWorker();
    const first = workers.at(-1)!;
    const sub = await subscribeBackDated('killed-after-finalize', { declineFirstAttempts: 0, transientFailuresPerAttempt: 0 });
    const numbered = await until(
      'a numbered invoice',
      async () =>
        (
          await rows<{ id: string; number: string }>('SELECT id, number FROM invoices WHERE subscription_id = $1 AND number IS NOT NULL', [
            sub.id,
          ])
        )[0],
      30_000,
      2,
    );
    await kill(first);
    await startWorker();
    await expectOneInvoiceChargedOnce(sub.id, sub.tenant.id);
    // The steps repeated by the new worker found the invoice final: it kept its number, and the
    // number sequence gave out no second one (every number given out is on an invoice).
    expect(await rows('SELECT id, number FROM invoices WHERE subscription_id = $1', [sub.id])).toEqual([numbered]);
    const [given] = await rows<{ n: number }>('SELECT coalesce(sum(last_number), 0)::int AS n FROM invoice_number_sequences', []);
    expect(await rows('SELECT count(*)::int AS n FROM invoices WHERE number IS NOT NULL', [])).toEqual([given]);
    expect(await rows('SELECT event_type FROM webhook_outbox WHERE event_id = $1', [`invoice.finalized:${numbered.id}`])).toEqual([
      { event_type: 'invoice.finalized' },
    ]);
  });

  it('in the middle of collecting (a charge request pending): the retried attempt reuses its idempotency key', async () => {
    const first = await startWorker();
    // Each charge request first fails transiently once (per process), so the attempt is retried.
    const sub = await subscribeBackDated('killed-while-charging', { declineFirstAttempts: 0, transientFailuresPerAttempt: 1 });
    await until(
      'a pending payment attempt',
      async () =>
        (
          await rows('SELECT a.id FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id WHERE i.subscription_id = $1', [sub.id])
        )[0],
      30_000,
      5,
    );
    await kill(first);
    await startWorker();
    await expectOneInvoiceChargedOnce(sub.id, sub.tenant.id);
    // One attempt row, keyed '<invoice>:1', answered once by the gateway.
    const attempts = await rows<{ attempt: number; idempotency_key: string }>(
      'SELECT a.attempt, a.idempotency_key FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id WHERE i.subscription_id = $1',
      [sub.id],
    );
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.idempotency_key).toMatch(/:1$/);
  });
});

describe('a worker killed with SIGKILL between the gateway charge and its record', () => {
  it('the retried attempt reconciles the pending charge by its key: one charge at the gateway, the invoice paid once', async () => {
    if (workers.every((w) => w.exitCode !== null || w.signalCode !== null)) await startWorker();
    const first = workers.at(-1)!;
    // The gateway records the charge at once and answers 20 s later: the worker dies waiting.
    const sub = await subscribeBackDated('killed-after-charge', {
      declineFirstAttempts: 0,
      transientFailuresPerAttempt: 0,
      chargeDelayMs: 20_000,
    });
    const charged = await until(
      'a charge made at the gateway whose attempt is still pending',
      async () =>
        (
          await rows<{ id: string; idempotency_key: string }>(
            `SELECT a.id, a.idempotency_key FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id
         JOIN builtin_gateway_charges g ON g.idempotency_key = a.idempotency_key
         WHERE i.subscription_id = $1 AND a.status = 'pending'`,
            [sub.id],
          )
        )[0],
      60_000,
      5,
    );
    await kill(first);
    await startWorker();
    await expectOneInvoiceChargedOnce(sub.id, sub.tenant.id);
    // The same attempt, completed by the new worker; the gateway was charged once, and only asked about the key again.
    expect(await rows('SELECT id, status FROM payment_attempts WHERE idempotency_key = $1', [charged.idempotency_key])).toEqual([
      { id: charged.id, status: 'succeeded' },
    ]);
    expect(
      await rows('SELECT count(*)::int AS n FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id WHERE i.subscription_id = $1', [
        sub.id,
      ]),
    ).toEqual([{ n: 1 }]);
    expect(await rows('SELECT count(*)::int AS n FROM builtin_gateway_charges WHERE tenant_id = $1', [sub.tenant.id])).toEqual([{ n: 1 }]);
  });
});

describe('on the dev server, which has search attributes', () => {
  it('keeps the TenantId and SubscriptionStatus search attributes current for operators', async () => {
    if (workers.every((w) => w.exitCode !== null || w.signalCode !== null)) await startWorker();
    const sub = await subscribeBackDated('searchable', { declineFirstAttempts: 0, transientFailuresPerAttempt: 0 });
    const find = (status: string) =>
      until(
        `a workflow listed as ${status}`,
        async () => {
          for await (const wf of env.client.workflow.list({ query: `TenantId = '${sub.tenant.id}' AND SubscriptionStatus = '${status}'` }))
            return wf.workflowId;
          return undefined;
        },
        30_000,
        250,
      );
    expect(await find('active')).toBe(`subscription-${sub.id}`);
    await env.client.workflow.getHandle(`subscription-${sub.id}`).executeUpdate('cancel', { args: [{ at: 'immediate' }] });
    expect(await find('canceled')).toBe(`subscription-${sub.id}`);
  });
});
