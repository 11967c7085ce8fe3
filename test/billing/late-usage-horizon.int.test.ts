import { describe, expect, it } from 'vitest';
import { cents, useBillingScenarios, type InvoiceWithLines } from '../harness/billing.ts';
import { until } from '../harness/until.ts';
import {
  lateUsageArrivedSignal,
  subscriptionStatusQuery,
  subscriptionWorkflowId,
  type SubscriptionStatus,
} from '../../workflows/contract.ts';

// The late-usage horizon on the time-skipping server: every window that ended within the plan's
// lateUsageDays is re-read (not just the last three invoices), nothing older is, and a canceled
// subscription stays open for the horizon and bills what arrives late on late_usage invoices.

const s = useBillingScenarios((h) => h.defineMeter({ code: 'hits', name: 'Hits', eventType: 'hit', aggregation: 'count' }));

const hits = (prefix: string, n: number, at: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 'hit', time: at }));
const lines = (invoice: InvoiceWithLines) =>
  invoice.lines.map((l) => [
    l.type,
    l.quantity === null ? null : Number(l.quantity),
    cents(l.amount_minor),
    l.usage_from?.toISOString() ?? null,
  ]);
const daily = (code: string, o: { lateUsageDays?: number; gracePeriodSeconds?: number } = {}) =>
  s.h.createPlan({
    code,
    name: code,
    currency: 'USD',
    interval: 'day',
    baseFee: '0',
    gracePeriodSeconds: o.gracePeriodSeconds ?? 0,
    ...(o.lateUsageDays === undefined ? {} : { lateUsageDays: o.lateUsageDays }),
    charges: [{ meter: 'hits', model: 'per_unit', unitPrice: '1' }],
  });
const issued = (invoices: InvoiceWithLines[]) => invoices.every((i) => i.status !== 'draft');

describe('the late-usage horizon of a running subscription', () => {
  it('bills an event that arrives 10 days after its daily period on the next invoice (the last-3-invoices rule dropped it)', async () => {
    const tenant = await s.h.createTenant({ name: 'Ten days late' });
    const plan = await daily(`late10-${Date.now()}`);
    expect(plan.plan.lateUsageDays).toBe(35);
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    await s.h.sendEvents(tenant.id, hits('d1', 2, '2027-01-01T10:00:00Z'));

    // Ten daily invoices are issued; then 3 more events of January 1 arrive.
    await s.sleepUntil('2027-01-11T12:00:00Z');
    const before = await until('ten invoices', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 10 && issued(all) && all;
    });
    expect(lines(before[0]!)).toEqual([['usage', 2, '2.00', '2027-01-01T00:00:00.000Z']]);
    await s.h.sendEvents(tenant.id, hits('d1-late', 3, '2027-01-01T23:00:00Z'));

    // The invoice of January 11 carries them: January 1 re-rated with 5 events, minus the 2.00 billed.
    await s.sleepUntil('2027-01-12T00:00:01Z');
    const eleventh = await until('the eleventh invoice', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 11 && issued(all) && all[10];
    });
    expect(lines(eleventh)).toEqual([
      ['usage', 0, '0.00', '2027-01-11T00:00:00.000Z'],
      ['adjustment', 5, '3.00', '2027-01-01T00:00:00.000Z'],
    ]);
  });

  it('does not bill an event whose period ended more than lateUsageDays ago', async () => {
    const tenant = await s.h.createTenant({ name: 'Beyond the horizon' });
    const plan = await daily(`late2-${Date.now()}`, { lateUsageDays: 2 });
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    await s.sleepUntil('2027-01-05T12:00:00Z');
    await until('four invoices', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 4 && issued(all);
    });
    // When the next invoice is issued (January 6): January 1 ended 4 days before, January 2 three
    // (both beyond 2 days); January 4 ended one day before (within).
    await s.h.sendEvents(tenant.id, [
      ...hits('j1', 1, '2027-01-01T12:00:00Z'),
      ...hits('j2', 1, '2027-01-02T12:00:00Z'),
      ...hits('j4', 1, '2027-01-04T12:00:00Z'),
    ]);
    await s.sleepUntil('2027-01-06T00:00:01Z');
    const fifth = await until('the fifth invoice', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 5 && issued(all) && all[4];
    });
    expect(lines(fifth)).toEqual([
      ['usage', 0, '0.00', '2027-01-05T00:00:00.000Z'],
      ['adjustment', 1, '1.00', '2027-01-04T00:00:00.000Z'],
    ]);
  });
});

describe('a canceled subscription', () => {
  it('stays open for the horizon and bills late events on a late_usage invoice once the grace has passed after they arrive', async () => {
    const tenant = await s.h.createTenant({ name: 'Canceled, late' });
    const plan = await daily(`cancel-late-${Date.now()}`, { lateUsageDays: 3, gracePeriodSeconds: 300 });
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    await s.h.sendEvents(tenant.id, hits('a', 1, '2027-01-02T10:00:00Z'));
    await s.sleepUntil('2027-01-03T12:00:00Z');
    await s.h.subscriptions.cancel({ kind: 'operator' }, sub.id, { at: 'immediate' });
    const final = await until('the final invoice', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 3 && issued(all) && all;
    });
    expect(final.map((i) => i.reason)).toEqual(['period_end', 'period_end', 'cancel']);

    // A late event of January 2 arrives and ingest announces it: billed after the 300 s grace, not before.
    await s.h.sendEvents(tenant.id, hits('a-late', 2, '2027-01-02T20:00:00Z'));
    await handle.signal(lateUsageArrivedSignal);
    await s.env.sleep(295_000);
    expect((await s.h.invoicesOf(sub.id)).length).toBe(3);
    await s.env.sleep(10_000);
    const late = await until('the late-usage invoice', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 4 && issued(all) && all[3];
    });
    expect(late.reason).toBe('late_usage');
    expect(lines(late)).toEqual([['adjustment', 3, '2.00', '2027-01-02T00:00:00.000Z']]);
    // Its window starts where the final invoice ended (the cancellation).
    expect(late.period_start).toEqual(final[2]!.period_end);
    expect(cents(late.total_minor)).toBe('2.00');

    // Announced again with nothing new: no invoice (an adjustment invoice with nothing late is not issued).
    await handle.signal(lateUsageArrivedSignal);
    await s.env.sleep(600_000);
    expect((await s.h.invoicesOf(sub.id)).length).toBe(4);

    // Once the horizon (3 days after the end) has passed, the workflow completes; later events are not billed.
    const status = (await handle.result()) as SubscriptionStatus;
    expect(status).toMatchObject({ state: 'canceled', canceledAt: final[2]!.period_end.toISOString() });
    expect(await s.env.currentTimeMs()).toBeGreaterThanOrEqual(new Date('2027-01-06T12:00:00Z').getTime());
    expect((await s.h.invoicesOf(sub.id)).length).toBe(4);
  });

  it('finds late events nobody announced by its own checks', async () => {
    const tenant = await s.h.createTenant({ name: 'Canceled, unannounced' });
    const plan = await daily(`cancel-quiet-${Date.now()}`, { lateUsageDays: 5 });
    const sub = await s.h.subscriptions.create({ tenantId: tenant.id, planId: plan.id, startAt: new Date('2027-01-01T00:00:00Z') });
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    await s.sleepUntil('2027-01-02T06:00:00Z');
    await s.h.subscriptions.cancel({ kind: 'operator' }, sub.id, { at: 'immediate' });
    await until('the final invoice', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 2 && issued(all);
    });
    await s.h.sendEvents(tenant.id, hits('q', 4, '2027-01-01T08:00:00Z'));
    // The checks back off to at most a day apart: within a day and a bit, it is billed.
    await s.sleepUntil('2027-01-03T08:00:00Z');
    const late = await until('the late-usage invoice', async () => {
      const all = await s.h.invoicesOf(sub.id);
      return all.length === 3 && issued(all) && all[2];
    });
    expect([late.reason, ...lines(late)]).toEqual(['late_usage', ['adjustment', 4, '4.00', '2027-01-01T00:00:00.000Z']]);
    const st = await handle.query(subscriptionStatusQuery);
    expect(st.state).toBe('canceled');
    // Leave the test server free: the subscription's history is kept small by the back-off.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.length).toBeLessThan(600);
  });
});
