import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import type { WebhookReceiver } from '../harness/webhook-receiver.ts';
import {
  CALLS_METER,
  currentPeriod,
  insertMonthlyPlan,
  startAlertReceiver,
  startScanWorker,
  subscribeInPeriod,
  usageSourceOf,
} from '../harness/alert-setup.ts';
import { createAlertActivities } from '../../activities/alerts/index.ts';
import { MAX_TYPE_LENGTH } from '../../domain/metering/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { ANOMALY_SCAN_WORKFLOW, type AnomalyScanResult } from '../../workflows/contract.ts';
import { DAY, MINUTE, eventsIn, ingestEvents, insertEvents, runActivity, steadyEvents } from '../harness/alerts.ts';

// One tenant's data used to stop alerts for every tenant: an anomaly the alerts table could not
// store, or a budget that could not be estimated, failed the whole activity, so the budget
// checks and the alert.created webhooks of every tenant stopped with it, every 5 minutes.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let scanner: Awaited<ReturnType<typeof startScanWorker>>;
let receiver: WebhookReceiver;

const windowEnd = Math.floor(Date.now() / (5 * MINUTE)) * 5 * MINUTE;
const at = new Date(windowEnd + 30_000).toISOString();
/** The longest event type ingest accepts: its spike must be storable. */
const LONGEST = `llm.${'x'.repeat(MAX_TYPE_LENGTH - 4)}`;
/** A type no alert can hold (stored before ingest limited types, or by another writer). */
const POISON = 'p'.repeat(MAX_TYPE_LENGTH + 44);

const period = currentPeriod();
const usage = () => usageSourceOf(db, ch.client);

/** A steady week of `type` (100 events per 5 minutes around this time of day), then 10× in the scanned window; ids start with `tag`. */
function spikeOf(tenantId: string, type: string, tag: string) {
  const rows = steadyEvents(tenantId, type, windowEnd - 30 * MINUTE, windowEnd - 5 * MINUTE, 100, `${tag}-d0`);
  for (let day = 1; day <= 7; day += 1)
    rows.push(
      ...steadyEvents(tenantId, type, windowEnd - day * DAY - 30 * MINUTE, windowEnd - day * DAY + 15 * MINUTE, 100, `${tag}-d${day}`),
    );
  return [...rows, ...eventsIn(tenantId, type, windowEnd - 5 * MINUTE, 5 * MINUTE, 1000, `${tag}-now`)];
}

async function subscribeToNewPlan(tenantId: string, code: string, meter: string) {
  await withOperator(db.pool, (tx) => tenantsRepository.update(tx, tenantId, { budget: '1' }));
  const plan = await insertMonthlyPlan(db, code, [{ meter, model: 'per_unit', unitPrice: '1' }]);
  await subscribeInPeriod(db, tenantId, plan, period);
}

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  const a = api.tenants.a.id;
  const b = api.tenants.b.id;
  // Given tenant A spiking on api_call and on the longest event type ingest accepts ...
  await ingestEvents(api.request, api.apiKeys.a, [...spikeOf(a, 'api_call', 'calls'), ...spikeOf(a, LONGEST, 'longest')]);
  // ... tenant B spiking on api_call, and on a type too long for any alert ...
  await ingestEvents(api.request, api.apiKeys.b, spikeOf(b, 'api_call', 'calls'));
  await insertEvents(ch.client, spikeOf(b, POISON, 'poison'));
  // ... tenant A over its budget, and tenant B on a plan whose meter nobody defined.
  await metersRepository.insert(db.pool, CALLS_METER);
  await subscribeToNewPlan(a, 'per-call', 'calls');
  await subscribeToNewPlan(b, 'per-ghost', 'ghost');

  receiver = await startAlertReceiver(db);
  scanner = await startScanWorker({
    db,
    clickhouse: ch.client,
    taskQueue: 'poisoned',
    deps: (env) => ({ temporal: env.client, taskQueue: 'poisoned', usage: usage() }),
  });
});
afterAll(async () => {
  await scanner?.stop();
  await receiver?.close();
  await Promise.all([db?.drop(), ch?.dispose()]);
});

const runScan = (workflowId: string) =>
  scanner.env.client.workflow.execute(ANOMALY_SCAN_WORKFLOW, {
    taskQueue: 'poisoned',
    workflowId,
    args: [{ at }],
  }) as Promise<AnomalyScanResult>;

describe('a poisoned (tenant, event type) or (tenant, meter) leaves every other alert working', () => {
  it('the scan raises every other spike and budget alert, reports the two failures, and the webhooks go out', async () => {
    const result = await runScan('poisoned-scan-1');
    const a = api.tenants.a.id;
    const b = api.tenants.b.id;
    // Then every storable spike is raised, tenant B's api_call included (isolation is per pair, not per tenant)
    const spikes = result.anomalies.raised.map((r) => [r.tenantId, r.eventType, r.kind]);
    expect(spikes).toHaveLength(3);
    expect(spikes).toEqual(
      expect.arrayContaining([
        [a, 'api_call', 'usage_spike'],
        [a, LONGEST, 'usage_spike'],
        [b, 'api_call', 'usage_spike'],
      ]),
    );
    expect(result.anomalies).toMatchObject({
      failed: 1,
      failures: [{ tenantId: b, eventType: POISON, error: expect.stringMatching(/check/i) }],
    });
    // and the budget checks still run: A's alert is raised, B's unestimable budget is reported
    expect(result.budgets.raised).toEqual([expect.objectContaining({ tenantId: a, kind: 'budget_threshold', level: 100 })]);
    expect(result.budgets).toMatchObject({
      failed: 1,
      failures: [{ tenantId: b, meter: 'ghost', error: expect.stringContaining('meter ghost is not defined') }],
    });

    // and each of the four alerts reaches the webhook endpoint as alert.created
    const ids = [...result.anomalies.raised, ...result.budgets.raised].map((r) => r.id).sort();
    for (let i = 0; i < 100 && receiver.received.length < 4; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(
      receiver.received
        .map((r) => JSON.parse(r.body))
        .map((e) => [e.type, e.data.alert.id])
        .sort((x, y) => x[1].localeCompare(y[1])),
    ).toEqual(ids.map((id) => ['alert.created', id]));
    const stored = await withOperator(db.pool, (tx) => alertsRepository.list(tx, { limit: 100, offset: 0 }));
    expect(stored.map((s) => s.id).sort()).toEqual(ids);
  });

  it('the next scan raises nothing new and reports the same failures again (they do not go quiet)', async () => {
    const again = await runScan('poisoned-scan-2');
    expect(again.anomalies).toMatchObject({ raised: [], failed: 1, failures: [{ eventType: POISON }] });
    expect(again.budgets).toMatchObject({ raised: [], failed: 1, failures: [{ meter: 'ghost' }] });
  });

  it('each failure is logged at error level with its tenant and event type or meter, and a closing count', async () => {
    const logs: LogEntry[] = [];
    const activities = createAlertActivities({ pg: db.pool, clickhouse: ch.client, usage: usage() });
    await runActivity(activities.scanUsageAnomalies, { at }, logs);
    await runActivity(activities.checkBudgets, { at }, logs);
    const errors = logs.filter((l) => l.level === 'ERROR').map((l) => ({ message: l.message, meta: l.meta }));
    expect(errors).toEqual([
      {
        message: 'anomaly_scan: a part failed; the others proceed',
        meta: expect.objectContaining({ check: 'anomaly_scan', tenantId: api.tenants.b.id, eventType: POISON }),
      },
      { message: 'anomaly_scan: 1 part(s) failed', meta: expect.objectContaining({ failed: 1 }) },
      {
        message: 'budget_check: a part failed; the others proceed',
        meta: expect.objectContaining({ check: 'budget_check', tenantId: api.tenants.b.id, meter: 'ghost' }),
      },
      { message: 'budget_check: 1 part(s) failed', meta: expect.objectContaining({ failed: 1 }) },
    ]);
  });
});
