import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { devServerEnvironment, timeSkippingEnvironment } from '../harness/temporal.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { TASK_QUEUE } from '../../workflows/contract.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

// The same workflow, worker factory and activities run against both real servers.
describe.each([
  ['time-skipping test server', timeSkippingEnvironment],
  ['CLI dev server', devServerEnvironment],
])('self-check workflow on the %s', (_name, createEnv) => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createEnv();
  });
  afterAll(async () => env?.teardown());

  it('runs its activity against PostgreSQL and ClickHouse through the billing worker', async () => {
    const worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: TASK_QUEUE,
      workflowBundlePath: inject('workflowBundlePath'),
      deps: { pg: db.pool, clickhouse: ch.client },
    });
    const nonce = `n-${Date.now()}`;
    const result = await worker.runUntil(
      env.client.workflow.execute('selfCheckWorkflow', { taskQueue: TASK_QUEUE, workflowId: `self-check-${nonce}`, args: [nonce] }),
    );
    expect(result).toEqual({ nonce, postgres: true, clickhouse: true });
  });
});
