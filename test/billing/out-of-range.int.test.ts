import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios } from '../harness/billing.ts';
import { invoiceNowUpdate, subscriptionStatusQuery, subscriptionWorkflowId } from '../../workflows/contract.ts';
import { eventually } from '../harness/until.ts';
import { localActivityRuns, patchIds, type MarkerEvent } from '../harness/local-activity-runs.ts';

// An invoice whose amounts do not fit what an invoice stores (bigint minor units: at most
// 92233720368547758.07 USD) fails alone and for good: a critical billing_failed alert, no retry
// loop, the subscription bills on, and every other tenant bills as usual.

const s = useBillingScenarios((h) =>
  h.defineMeter({ code: 'bytes', name: 'Bytes', eventType: 'transfer', aggregation: 'sum', valueProperty: 'bytes' }),
);

/** The largest value ingest accepts (|v| < 10^15): at 1000 USD a unit, 10^18 USD, ten times what an invoice holds. */
const LARGEST = '999999999999999';

const transfer = (id: string, time: string, bytes: string) => ({ id, type: 'transfer', time, data: { bytes } });

type HistoryEvent = MarkerEvent & { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } | null };

describe('an invoice whose amounts are out of range', () => {
  it('fails non-retryably with a critical alert; the subscription and every other tenant bill on', async () => {
    const plan = await s.h.createPlan({
      code: 'per-byte',
      name: 'Per byte',
      currency: 'USD',
      interval: 'month',
      baseFee: '10',
      gracePeriodSeconds: 0,
      charges: [{ meter: 'bytes', model: 'per_unit', unitPrice: '1000' }],
    });
    const huge = await s.h.createTenant({ name: 'Huge' });
    const normal = await s.h.createTenant({ name: 'Normal' });
    const late = await s.h.createTenant({ name: 'Late huge' });
    const subscribe = (tenantId: string) =>
      s.h.subscriptions.create({ tenantId, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const [hugeSub, normalSub, lateSub] = [await subscribe(huge.id), await subscribe(normal.id), await subscribe(late.id)];
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(hugeSub.id));
    const firstRun = (await handle.describe()).runId;
    const alertsOf = (tenantId: string) =>
      s.h.ownerQuery<{
        kind: string;
        severity: string;
        meter: string | null;
        window_start: Date;
        window_end: Date;
        message: string;
        details: Record<string, string>;
      }>(
        'SELECT kind, severity, meter, window_start, window_end, message, details FROM alerts WHERE tenant_id = $1 ORDER BY window_start',
        [tenantId],
      );

    await s.h.sendEvents(huge.id, [transfer('h-jan', '2027-01-10T00:00:00Z', LARGEST)]);
    await s.h.sendEvents(normal.id, [transfer('n-jan', '2027-01-10T00:00:00Z', '2')]);
    await s.h.sendEvents(late.id, [transfer('l-jan', '2027-01-10T00:00:00Z', '1')]);
    await s.sleepUntil('2027-02-01T00:00:01Z');

    // January, huge: 999999999999999 × 1000 = 999999999999999000.00 USD cannot be stored. No invoice,
    // one critical alert naming why, and the failure is in the status.
    const status = await eventually(
      () => handle.query(subscriptionStatusQuery),
      (st) => st.billingFailures !== undefined,
    );
    expect(status.state).toBe('active');
    expect(status.billingFailures).toEqual([
      {
        invoiceId: expect.any(String),
        periodStart: '2027-01-01T00:00:00.000Z',
        periodEnd: '2027-02-01T00:00:00.000Z',
        reason:
          'line "Per byte: bytes (per unit)" of 999999999999999000.00 USD is more than an invoice can hold (at most 92233720368547758.07 USD)',
      },
    ]);
    const failedInvoiceId = status.billingFailures![0]!.invoiceId;
    expect(await s.h.invoicesOf(hugeSub.id)).toEqual([]);
    const [alert, ...more] = await eventually(
      () => alertsOf(huge.id),
      (a) => a.length > 0,
    );
    expect(more).toEqual([]);
    expect(alert).toEqual({
      kind: 'billing_failed',
      severity: 'critical',
      meter: null,
      window_start: new Date('2027-01-01T00:00:00Z'),
      window_end: new Date('2027-02-01T00:00:00Z'),
      message: `An invoice could not be issued: ${status.billingFailures![0]!.reason}`,
      details: { step: 'rating', reason: status.billingFailures![0]!.reason, invoiceId: failedInvoiceId, subscriptionId: hugeSub.id },
    });

    // It did not spin: writeInvoice ran once (a local activity: the close's steps run in the
    // workflow task), failed non-retryably, and the run took the patched path.
    const history = (await s.env.client.workflow.getHandle(subscriptionWorkflowId(hugeSub.id), firstRun).fetchHistory())
      .events as HistoryEvent[];
    expect(localActivityRuns(history, 'writeInvoice').map(({ attempt, failure }) => ({ attempt, failure }))).toEqual([
      {
        attempt: 1,
        failure: expect.objectContaining({
          applicationFailureInfo: expect.objectContaining({ type: 'InvoiceAmountOutOfRange', nonRetryable: true }),
        }),
      },
    ]);
    expect(history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'writeInvoice')).toEqual([]);
    // The first loop grants the new period's included credits (none in this plan) before any close.
    expect(patchIds(history)).toEqual([
      'included-credits-per-period',
      'close-steps-as-local-activities',
      'skip-invoice-amount-out-of-range',
    ]);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // The other tenants billed January as usual, in the same run of the worker.
    const [normalJan] = await s.h.invoicesOf(normalSub.id);
    expect([normalJan!.status === 'draft', cents(normalJan!.total_minor)]).toEqual([false, '2010.00']);
    const [lateJan] = await s.h.invoicesOf(lateSub.id);
    expect(cents(lateJan!.total_minor)).toBe('1010.00');
    expect(await alertsOf(normal.id)).toEqual([]);

    // February: huge sends ordinary usage and is billed for it. Late sends, late, the largest value
    // for January: re-rating January cannot be stored, so that adjustment is left out with an alert
    // and February is billed without it (failing would repeat at every close that re-reads January).
    await s.h.sendEvents(huge.id, [transfer('h-feb', '2027-02-10T00:00:00Z', '1')]);
    await s.h.sendEvents(late.id, [
      transfer('l-jan-late', '2027-01-31T23:00:00Z', LARGEST),
      transfer('l-feb', '2027-02-10T00:00:00Z', '3'),
    ]);
    await s.sleepUntil('2027-03-01T00:00:01Z');

    const hugeInvoices = await eventually(
      () => s.h.invoicesOf(hugeSub.id),
      (i) => i.length === 1 && i[0]!.status !== 'draft',
    );
    expect(hugeInvoices.map((i) => [i.period_start.toISOString(), cents(i.total_minor)])).toEqual([
      ['2027-02-01T00:00:00.000Z', '1010.00'],
    ]);
    const lateInvoices = await eventually(
      () => s.h.invoicesOf(lateSub.id),
      (i) => i.length === 2 && i[1]!.status !== 'draft',
    );
    expect(lateInvoices[1]!.lines.map((l) => [l.type, l.quantity === null ? null : Number(l.quantity), cents(l.amount_minor)])).toEqual([
      ['base_fee', null, '10.00'],
      ['usage', 3, '3000.00'],
    ]);
    const lateAlerts = await alertsOf(late.id);
    expect(lateAlerts).toEqual([
      expect.objectContaining({
        kind: 'billing_failed',
        severity: 'critical',
        meter: 'bytes',
        window_start: new Date('2027-01-01T00:00:00Z'),
        window_end: new Date('2027-02-01T00:00:00Z'),
        details: expect.objectContaining({ step: 'late_usage', subscriptionId: lateSub.id }),
      }),
    ]);
    expect(lateAlerts[0]!.message).toMatch(
      /^Late usage of meter bytes for 2027-01-01T00:00:00.000Z – 2027-02-01T00:00:00.000Z was not billed: line "bytes: usage for 2027-01-01 – 2027-02-01 received after invoicing" of 999999999999999000.00 USD is more than an invoice can hold/,
    );
    expect((await handle.query(subscriptionStatusQuery)).billingFailures).toEqual(status.billingFailures);
    expect(await alertsOf(huge.id)).toHaveLength(1);

    // An invoice-now over out-of-range usage answers billing_failed (it does not hang), once.
    await s.h.sendEvents(huge.id, [transfer('h-mar', '2027-03-02T00:00:00Z', LARGEST)]);
    await s.sleepUntil('2027-03-05T00:00:00Z');
    const invoiceId = '22222222-2222-4222-8222-222222222222';
    expect(await handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId }] })).toEqual({
      invoiceId,
      number: null,
      status: 'billing_failed',
    });
    expect(await handle.executeUpdate(invoiceNowUpdate, { args: [{ invoiceId }] })).toEqual({
      invoiceId,
      number: null,
      status: 'billing_failed',
    });
    expect((await handle.query(subscriptionStatusQuery)).billingFailures!.map((f) => f.invoiceId)).toEqual([failedInvoiceId, invoiceId]);
    expect((await alertsOf(huge.id)).map((a) => a.details.invoiceId)).toEqual([failedInvoiceId, invoiceId]);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });
});
