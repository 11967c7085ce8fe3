import { randomUUID } from 'node:crypto';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.ts';
import type { PartRef } from '../../activities/invoices/invoice-activities.ts';
import { readMeterUsage } from '../../db/clickhouse/usage-reader.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { MAX_CHARGES } from '../../domain/pricing/index.ts';
import type { Meter } from '../../domain/metering/index.ts';
import { createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { monthlyPlan, subscribeDirectly } from '../harness/billing-plans.ts';

// An invoice's usage reads go out together (each meter's windows in one batched query). The
// largest plan the schema allows is read whole in one activity, each charge as the single
// reader answers; a charge whose read fails fails the activity as a whole, nothing written, and
// the retry bills every charge once.

let h: BillingHarness;
let activities: ReturnType<typeof createActivities>;
const april = { start: '2026-04-01T00:00:00.000Z', end: '2026-05-01T00:00:00.000Z' };
const mid = '2026-04-16T00:00:00.000Z';
const AGGREGATIONS = ['count', 'sum', 'max', 'unique_count', 'latest'] as const;
const meters: Meter[] = [];

beforeAll(async () => {
  h = await createBillingHarness();
  // MAX_CHARGES meters over 10 event types, every aggregation.
  for (let i = 0; i < MAX_CHARGES; i += 1) {
    const aggregation = AGGREGATIONS[i % AGGREGATIONS.length]!;
    meters.push(
      await h.defineMeter({
        code: `m${i}`,
        name: `M${i}`,
        eventType: `e${i % 10}`,
        aggregation,
        ...(aggregation === 'count' ? {} : { valueProperty: 'v' }),
      }),
    );
  }
  activities = createActivities(withWorkflowContract({ pg: h.db.pool, clickhouse: h.ch.client }));
}, 120_000);
afterAll(async () => h?.dispose());

async function subscribed(name: string, charges: { meter: string }[]) {
  const tenant = await h.createTenant({ name });
  const plan = await h.createPlan(
    monthlyPlan({
      code: `p-${name}`,
      name,
      baseFee: '1',
      charges: charges.map((c) => ({ meter: c.meter, model: 'per_unit', unitPrice: '0.01' })),
    }),
  );
  return { tenant, plan, subscriptionId: await subscribeDirectly(h, tenant.id, plan, april) };
}

/** `n` events of each of the 10 types on day `day` of April, values varying by event, some delivered twice. */
async function send(tenantId: string, prefix: string, day: number, n: number) {
  const events = Array.from({ length: 10 * n }, (_, k) => ({
    id: `${prefix}-${k}`,
    type: `e${k % 10}`,
    time: new Date(Date.parse(april.start) + day * 86_400_000 + k * 1000),
    data: { v: (k * 7) % 13 },
  }));
  await h.sendEvents(tenantId, events);
  await h.sendEvents(
    tenantId,
    events.filter((_, k) => k % 9 === 0).map((e) => ({ ...e, data: { v: 1000 } })),
  ); // redeliveries: never counted
}

describe('usage reads of an invoice in batches', () => {
  it(`read the largest plan (${MAX_CHARGES} charges) over two parts of a period in one activity, each charge as the single reader answers`, async () => {
    const s = await subscribed(
      'largest',
      meters.map((m) => ({ meter: m.code })),
    );
    await send(s.tenant.id, 'a', 3, 20);
    await send(s.tenant.id, 'b', 20, 15);
    const parts: PartRef[] = [
      { from: april.start, to: mid, planId: s.plan.id, version: s.plan.version },
      { from: mid, to: april.end, planId: s.plan.id, version: s.plan.version },
    ];
    const usage = await activities.readPeriodUsage({ tenantId: s.tenant.id, segments: parts });
    expect(usage).toHaveLength(2);
    for (const [i, part] of parts.entries()) {
      expect(Object.keys(usage[i]!).sort()).toEqual(meters.map((m) => m.code).sort());
      for (const meter of meters) {
        const one = await readMeterUsage(h.ch.client, {
          tenantId: s.tenant.id,
          meter,
          from: new Date(part.from),
          to: new Date(part.to),
        });
        expect(usage[i]![meter.code]).toEqual({ quantity: one.value, eventCount: String(one.events) });
      }
    }
    // Every meter counted something in each part, so no charge slipped through as an empty read.
    expect(usage.every((u) => Object.values(u).every((m) => m.eventCount !== '0'))).toBe(true);
  });

  it("fail as a whole when one charge's read fails (retryable, nothing written), and bill every charge once when retried", async () => {
    const s = await subscribed('one-fails', [{ meter: 'm0' }, { meter: 'm1' }, { meter: 'undefined_yet' }, { meter: 'm2' }]);
    await send(s.tenant.id, 'c', 5, 10);
    const parts: PartRef[] = [{ from: april.start, to: april.end, planId: s.plan.id, version: s.plan.version }];
    // When one of the charges' meters is not defined, the read fails for a retry to cure ...
    const failed = await activities.readPeriodUsage({ tenantId: s.tenant.id, segments: parts }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toContain('meter undefined_yet is not defined');
    expect(failed instanceof ApplicationFailure && failed.nonRetryable).toBe(false);
    // ... and nothing is written: no invoice, no alert
    expect(await h.invoicesOf(s.subscriptionId)).toEqual([]);
    expect(await withOperator(h.db.pool, (tx) => alertsRepository.list(tx, { tenantId: s.tenant.id, limit: 10, offset: 0 }))).toEqual([]);

    // When the operator defines it and Temporal retries the step, every charge is read and billed once
    await h.defineMeter({ code: 'undefined_yet', name: 'Now defined', eventType: 'e3', aggregation: 'count' });
    const usage = await activities.readPeriodUsage({ tenantId: s.tenant.id, segments: parts });
    expect(Object.keys(usage[0]!).sort()).toEqual(['m0', 'm1', 'm2', 'undefined_yet']);
    expect(usage[0]!.undefined_yet).toEqual({ quantity: '10', eventCount: '10' });
    const input = {
      invoiceId: randomUUID(),
      tenantId: s.tenant.id,
      subscriptionId: s.subscriptionId,
      reason: 'period_end' as const,
      currency: 'USD',
      period: april,
      serviceFrom: april.start,
      serviceEnd: april.end,
      segments: parts,
      usage,
      adjustments: [],
    };
    expect((await activities.writeInvoice(input)).created).toBe(true);
    expect((await activities.writeInvoice({ ...input, invoiceId: randomUUID() })).created).toBe(false);
    const [invoice] = await h.invoicesOf(s.subscriptionId);
    expect(
      invoice!.lines
        .filter((l) => l.type === 'usage')
        .map((l) => l.meter)
        .sort(),
    ).toEqual(['m0', 'm1', 'm2', 'undefined_yet']);
  });

  it("late-usage re-rating fails as a whole before it raises anything when one meter's read fails, even beside a window out of range", async () => {
    // Given April's first day invoiced with two charges (a sum and a count) ...
    await h.defineMeter({ code: 'big', name: 'Big', eventType: 'big', aggregation: 'sum', valueProperty: 'v' });
    await h.defineMeter({ code: 'removed', name: 'Removed later', eventType: 'e1', aggregation: 'count' });
    const s = await subscribed('late-fails', [{ meter: 'big' }, { meter: 'removed' }]);
    const day1 = { start: april.start, end: '2026-04-02T00:00:00.000Z' };
    const parts: PartRef[] = [{ from: day1.start, to: day1.end, planId: s.plan.id, version: s.plan.version }];
    await h.sendEvents(s.tenant.id, [{ id: 'x', type: 'e1', time: '2026-04-01T01:00:00Z' }]);
    const usage = await activities.readPeriodUsage({ tenantId: s.tenant.id, segments: parts });
    await activities.writeInvoice({
      invoiceId: randomUUID(),
      tenantId: s.tenant.id,
      subscriptionId: s.subscriptionId,
      reason: 'invoice_now',
      currency: 'USD',
      period: april,
      serviceFrom: day1.start,
      serviceEnd: day1.end,
      segments: parts,
      usage,
      adjustments: [],
    });
    // ... then late events whose sum no quantity can hold, and the other meter's definition gone
    await h.sendEvents(
      s.tenant.id,
      Array.from({ length: 10_001 }, (_, k) => ({
        id: `big-${k}`,
        type: 'big',
        time: new Date(Date.parse(day1.start) + k),
        data: { v: '99999999999999999999999999' },
      })),
    );
    await h.ownerQuery("DELETE FROM meters WHERE code = 'removed'");
    const failed = await activities
      .rateLateUsage({ tenantId: s.tenant.id, subscriptionId: s.subscriptionId, currency: 'USD', before: day1.end })
      .catch((err: unknown) => err);
    // Then the step fails for a retry (the definition may come back), and no billing_failed alert was written for the other window
    expect((failed as Error).message).toContain('meter removed is not defined');
    expect(await withOperator(h.db.pool, (tx) => alertsRepository.list(tx, { tenantId: s.tenant.id, limit: 10, offset: 0 }))).toEqual([]);
    // When the definition is back, the retry raises the alert for the window out of range, once, and bills the rest
    await h.defineMeter({ code: 'removed', name: 'Back again', eventType: 'e1', aggregation: 'count' });
    await activities.rateLateUsage({ tenantId: s.tenant.id, subscriptionId: s.subscriptionId, currency: 'USD', before: day1.end });
    const alerts = await withOperator(h.db.pool, (tx) => alertsRepository.list(tx, { tenantId: s.tenant.id, limit: 10, offset: 0 }));
    expect(alerts.map((a) => a.kind)).toEqual(['billing_failed']);
  });
});
