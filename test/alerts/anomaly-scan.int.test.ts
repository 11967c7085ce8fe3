import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import { devServerEnvironment } from '../harness/temporal.ts';
import type { WebhookReceiver } from '../harness/webhook-receiver.ts';
import { startAlertReceiver, startScanWorker } from '../harness/alert-setup.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { ensureAnomalyScanSchedule } from '../../cli/temporal/schedules.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import {
  ANOMALY_SCAN_SCHEDULE_ID,
  ANOMALY_SCAN_WORKFLOW,
  type AnomalyScanInput,
  type AnomalyScanResult,
} from '../../workflows/contract.ts';
import { MINUTE, eventsIn, ingestEvents, insertEvents, steadyBaseline } from '../harness/alerts.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;

// The scan evaluates the last whole 5-minute window before `at`: [windowEnd − 5 min, windowEnd).
const windowEnd = Math.floor(Date.now() / (5 * MINUTE)) * 5 * MINUTE;
const at = new Date(windowEnd + 30_000).toISOString();

const allAlerts = () => withOperator(db.pool, (tx) => alertsRepository.list(tx, { limit: 100, offset: 0 }));

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  const a = api.tenants.a.id;
  const b = api.tenants.b.id;
  const spike = eventsIn(a, 'api_call', windowEnd - 5 * MINUTE, 5 * MINUTE, 2000, 'spike');
  // Given a steady week for both tenants (200 events per 5 minutes around this time of day),
  // back-dated through the real ingest route ...
  await ingestEvents(api.request, api.apiKeys.a, steadyBaseline(a, 'api_call', windowEnd, 200));
  await ingestEvents(api.request, api.apiKeys.b, [
    ...steadyBaseline(b, 'api_call', windowEnd, 200),
    ...eventsIn(b, 'api_call', windowEnd - 5 * MINUTE, 5 * MINUTE, 200, 'b-now'),
  ]);
  // ... then 10× for tenant A in the scanned window, every event delivered twice (deduplicated),
  // and a small burst under the minimum volume ...
  await ingestEvents(api.request, api.apiKeys.a, [...spike, ...eventsIn(a, 'small', windowEnd - 5 * MINUTE, 5 * MINUTE, 60, 'small')]);
  await ingestEvents(api.request, api.apiKeys.a, spike);
  // ... and a burst left behind by a tenant that no longer exists.
  await insertEvents(
    ch.client,
    eventsIn('00000000-0000-4000-8000-000000000000', 'api_call', windowEnd - 5 * MINUTE, 5 * MINUTE, 5000, 'ghost'),
  );
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('anomaly scan on the time-skipping server (the schedule workflow started directly)', () => {
  let env: TestWorkflowEnvironment;
  let stopWorker: () => Promise<void>;
  // A webhook receiver subscribed to alert.created.
  let receiver: WebhookReceiver;
  const run = (workflowId: string, input: AnomalyScanInput) =>
    env.client.workflow.execute(ANOMALY_SCAN_WORKFLOW, {
      taskQueue: 'anomaly-ts',
      workflowId,
      args: [input],
    }) as Promise<AnomalyScanResult>;

  beforeAll(async () => {
    receiver = await startAlertReceiver(db);
    ({ env, stop: stopWorker } = await startScanWorker({
      db,
      clickhouse: ch.client,
      taskQueue: 'anomaly-ts',
      deps: (env) => ({ temporal: env.client, taskQueue: 'anomaly-ts' }),
    }));
  });
  afterAll(async () => {
    await stopWorker?.();
    await receiver?.close();
  });

  it('raises exactly one usage_spike for the 10× window, and a second scan adds none', async () => {
    // When the scan runs for the window
    const first = await run('anomaly-scan-test-1', { at });
    // Then one spike: tenant A's api_call, with deduplicated counts
    expect(first.anomalies.window).toEqual({
      start: new Date(windowEnd - 5 * MINUTE).toISOString(),
      end: new Date(windowEnd).toISOString(),
    });
    expect(first.anomalies.raised).toEqual([
      expect.objectContaining({
        tenantId: api.tenants.a.id,
        meter: null,
        eventType: 'api_call',
        kind: 'usage_spike',
        observed: '2000',
        expected: '200',
      }),
    ]);
    const alerts = await allAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      tenant_id: api.tenants.a.id,
      kind: 'usage_spike',
      meter: null,
      event_type: 'api_call',
      severity: 'warning',
      window_start: new Date(windowEnd - 5 * MINUTE),
      window_end: new Date(windowEnd),
      observed: '2000.000000000000',
      expected: '200.000000000000',
    });
    expect(alerts[0]!.message).toContain('10.0× the usual 200');
    expect(alerts[0]!.details).toMatchObject({ median: 200, lastWeek: 200, sensitivity: 6, minVolume: 100 });
    // and the webhook alert.created reaches the subscribed endpoint
    for (let i = 0; i < 100 && receiver.received.length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({
        type: 'alert.created',
        data: expect.objectContaining({ alert: expect.objectContaining({ id: alerts[0]!.id, kind: 'usage_spike' }) }),
      }),
    ]);

    // When the same scan runs again (a retry, a second worker, a re-run)
    const second = await run('anomaly-scan-test-2', { at });
    // Then nothing new
    expect(second.anomalies.raised).toEqual([]);
    expect(await allAlerts()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it('an alert rule for one tenant and meter (10-minute window, minimum 10 events) raises the small burst the defaults ignore, once', async () => {
    const later = new Date(windowEnd + 5 * MINUTE + 30_000).toISOString();
    await withOperator(db.pool, async (tx) => {
      await alertsRepository.insertRule(tx, {
        tenantId: api.tenants.a.id,
        meter: 'small',
        sensitivity: null,
        windowMinutes: 10,
        minVolume: 10,
        budgetLevels: null,
        createdBy: null,
      });
    });
    // When the same window is scanned again with the rule: the 10-minute window over `small`
    // (60 events, none before) with a minimum of 10 is a spike.
    const again = await run('anomaly-scan-test-3', { at });
    expect(again.anomalies.raised).toEqual([
      expect.objectContaining({ tenantId: api.tenants.a.id, meter: null, eventType: 'small', kind: 'usage_spike' }),
    ]);
    const small = (await allAlerts()).find((x) => x.event_type === 'small')!;
    expect([small.window_start, small.window_end]).toEqual([new Date(windowEnd - 10 * MINUTE), new Date(windowEnd)]);
    // The next scan's 10-minute window still holds the burst: the same episode, nothing new
    // (and tenant A's api_call spike is over: its window is back to normal, its episode closes).
    const next = await run('anomaly-scan-test-4', { at: later });
    expect(next.anomalies.raised).toEqual([]);
    expect(next.anomalies.failed).toBe(0);
    expect(await allAlerts()).toHaveLength(2);
  });
});

describe('the anomaly-scan Temporal Schedule on the CLI dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await devServerEnvironment();
  });
  afterAll(async () => env?.teardown());

  it('is created idempotently (every 5 min, overlap Skip) and its triggered run scans', async () => {
    const settings = { intervalMinutes: 5, baselineDays: 7, minVolume: 100, sensitivity: 6, delaySeconds: 30 };
    expect(await ensureAnomalyScanSchedule(env.client, settings, undefined, 'anomaly-dev')).toBe('created');
    expect(await ensureAnomalyScanSchedule(env.client, { ...settings, sensitivity: 7 }, undefined, 'anomaly-dev')).toBe('updated');
    const handle = env.client.schedule.getHandle(ANOMALY_SCAN_SCHEDULE_ID);
    const description = await handle.describe();
    expect(description.policies.overlap).toBe('SKIP');
    expect(description.spec.intervals).toEqual([{ every: 5 * MINUTE, offset: 30_000 }]);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: ANOMALY_SCAN_WORKFLOW,
      taskQueue: 'anomaly-dev',
      args: [{ settings: { intervalMinutes: 5, baselineDays: 7, minVolume: 100, sensitivity: 7 } }],
    });

    const worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: 'anomaly-dev',
      workflowBundlePath: inject('workflowBundlePath'),
      deps: { pg: db.pool, clickhouse: ch.client },
    });
    await worker.runUntil(async () => {
      await handle.trigger();
      let workflowId: string | undefined;
      for (let i = 0; i < 100 && !workflowId; i += 1) {
        const started = (await handle.describe()).info.recentActions[0]?.action;
        workflowId = started?.type === 'startWorkflow' ? started.workflow.workflowId : undefined;
        if (!workflowId) await new Promise((r) => setTimeout(r, 100));
      }
      expect(workflowId).toMatch(/^anomaly-scan-/);
      const result = (await env.client.workflow.getHandle(workflowId!).result()) as AnomalyScanResult;
      // The triggered run scans the window before its start time (now).
      expect(Date.parse(result.anomalies.window.end)).toBe(Math.floor(Date.parse(result.at) / (5 * MINUTE)) * 5 * MINUTE);
    });
    await handle.delete();
  });
});
