import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios } from '../harness/billing.ts';
import { subscriptionStatusQuery, subscriptionWorkflowId } from '../../workflows/contract.ts';
import { eventually } from '../harness/until.ts';
import { localActivityRuns, patchIds, type MarkerEvent } from '../harness/local-activity-runs.ts';

// A billing activity that breaks a domain rule (a RangeError, a domain validation error) fails the
// same way on every retry. It must not retry every minute forever: it fails non-retryably as
// BillingDomainError with a critical billing_failed alert, the close is recorded and skipped, and
// the subscription bills on.

const s = useBillingScenarios((h) =>
  h.defineMeter({ code: 'bytes', name: 'Bytes', eventType: 'transfer', aggregation: 'sum', valueProperty: 'bytes' }),
);

type HistoryEvent = MarkerEvent & { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } | null };

describe('a domain error in a billing activity', () => {
  it('is not retried: a critical alert, the close is skipped and recorded, and the next period bills', async () => {
    const plan = await s.h.createPlan({
      code: 'domain-error',
      name: 'Per byte',
      currency: 'USD',
      interval: 'month',
      baseFee: '10',
      gracePeriodSeconds: 0,
      charges: [{ meter: 'bytes', model: 'per_unit', unitPrice: '2' }],
    });
    const tenant = await s.h.createTenant({ name: 'Broken plan' });
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    const firstRun = (await handle.describe()).runId;
    await s.h.sendEvents(tenant.id, [{ id: 'jan', type: 'transfer', time: '2027-01-10T00:00:00Z', data: { bytes: '3' } }]);
    await s.sleepUntil('2027-01-31T00:00:00Z');

    // The stored version now disagrees with the terms the workflow holds (EUR against USD): rating
    // refuses to mix currencies (a RangeError), as it would for any domain rule the data breaks.
    await s.h.ownerQuery(`UPDATE plan_versions SET currency = 'EUR' WHERE plan_id = $1`, [plan.id]);
    await s.sleepUntil('2027-02-01T00:00:01Z');

    const status = await eventually(
      () => handle.query(subscriptionStatusQuery),
      (st) => st.billingFailures !== undefined,
    );
    const reason = 'plan currency EUR differs from the invoice currency USD';
    expect(status).toMatchObject({ state: 'active', currentPeriod: { start: '2027-02-01T00:00:00.000Z' } });
    expect(status.billingFailures).toEqual([
      { invoiceId: expect.any(String), periodStart: '2027-01-01T00:00:00.000Z', periodEnd: '2027-02-01T00:00:00.000Z', reason },
    ]);
    expect(await s.h.invoicesOf(sub.id)).toEqual([]);
    const alerts = await eventually(
      () =>
        s.h.ownerQuery<{ kind: string; severity: string; message: string; details: Record<string, string> }>(
          'SELECT kind, severity, message, details FROM alerts WHERE tenant_id = $1',
          [tenant.id],
        ),
      (a) => a.length > 0,
    );
    expect(alerts).toEqual([
      {
        kind: 'billing_failed',
        severity: 'critical',
        message: `An invoice could not be issued: ${reason}`,
        details: { step: 'rating', reason, invoiceId: status.billingFailures![0]!.invoiceId, subscriptionId: sub.id },
      },
    ]);

    // Not retried: writeInvoice ran once, as a local activity (the close's steps run in the
    // workflow task), and failed non-retryably; the run took both patches. (The old path, an
    // activity scheduled once that failed, is replayed from its recorded history.)
    const history = (await s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id), firstRun).fetchHistory())
      .events as HistoryEvent[];
    expect(localActivityRuns(history, 'writeInvoice').map(({ attempt, failure }) => ({ attempt, failure }))).toEqual([
      {
        attempt: 1,
        failure: expect.objectContaining({
          applicationFailureInfo: expect.objectContaining({ type: 'BillingDomainError', nonRetryable: true }),
        }),
      },
    ]);
    expect(history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'writeInvoice')).toEqual([]);
    // The first loop grants the new period's included credits (none in this plan) before any close.
    expect(patchIds(history)).toEqual(['included-credits-per-period', 'close-steps-as-local-activities', 'skip-invoice-on-domain-error']);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // Once the version is repaired, February bills as usual: 10.00 + 2 × 4.
    await s.h.ownerQuery(`UPDATE plan_versions SET currency = 'USD' WHERE plan_id = $1`, [plan.id]);
    await s.h.sendEvents(tenant.id, [{ id: 'feb', type: 'transfer', time: '2027-02-10T00:00:00Z', data: { bytes: '4' } }]);
    await s.sleepUntil('2027-03-01T00:00:01Z');
    const invoices = await eventually(
      () => s.h.invoicesOf(sub.id),
      (i) => i.length === 1 && i[0]!.status !== 'draft',
    );
    expect(invoices.map((i) => [i.period_start.toISOString(), i.period_end.toISOString(), cents(i.total_minor)])).toEqual([
      ['2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z', '18.00'],
    ]);
    expect((await handle.query(subscriptionStatusQuery)).billingFailures).toEqual(status.billingFailures);
  });
});
