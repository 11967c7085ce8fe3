import { describe, expect, it } from 'vitest';
import { useBillingScenarios } from '../harness/billing.ts';
import { until } from '../harness/until.ts';
import { localActivityRuns, type MarkerEvent } from '../harness/local-activity-runs.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { subscriptionStatusQuery, subscriptionWorkflowId } from '../../workflows/contract.ts';

// A back-dated subscription catches up on every ended period, at most N closes per workflow run,
// each run continuing as new into the next: histories stay small, every period is billed once.

const s = useBillingScenarios((h) => h.defineMeter({ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }));

const DAY = 86_400_000;
const PER_RUN = 3;

type Event = MarkerEvent & {
  workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string } | null;
};

describe('a daily plan back-dated 40 days', () => {
  it(`catches up ${PER_RUN} closes a run, across several runs, every period billed exactly once and none missing`, async () => {
    const tenant = await s.h.createTenant({ name: 'Back-dated' });
    // Nothing to collect (paid on issue), so no dunning child slows the catch-up down.
    const plan = await s.h.createPlan({
      code: 'daily',
      name: 'Daily',
      currency: 'USD',
      interval: 'day',
      baseFee: '0',
      gracePeriodSeconds: 0,
      charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '1' }],
    });
    const service = createSubscriptionsService({
      pg: s.h.db.pool,
      temporal: s.env.client,
      searchAttributes: false,
      maxClosesPerRun: PER_RUN,
    });
    const now = await s.env.currentTimeMs();
    const startAt = new Date(Math.floor(now / DAY) * DAY - 40 * DAY);
    const sub = await service.create({ tenantId: tenant.id, planId: plan.id, startAt }, new Date(now));
    const handle = s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id));
    const firstRun = (await handle.describe()).runId;

    // Periods [startAt + i days, startAt + i + 1 days) that ended by now: 40 of them.
    const ended = Math.floor((now - startAt.getTime()) / DAY);
    expect(ended).toBe(40);
    // An invoice row appears as a draft and is finalized (here: paid on issue) by a later activity,
    // so wait until every ended period has an invoice that has left draft, not merely a row.
    const invoices = await until(
      'every ended period is invoiced and out of draft',
      async () => {
        const list = await s.h.invoicesOf(sub.id);
        return list.length >= ended && list.every((i) => i.status !== 'draft') && list;
      },
      120_000,
      250,
    );

    expect(invoices.map((i) => [i.period_start.toISOString(), i.period_end.toISOString()])).toEqual(
      Array.from({ length: ended }, (_, i) => [
        new Date(startAt.getTime() + i * DAY).toISOString(),
        new Date(startAt.getTime() + (i + 1) * DAY).toISOString(),
      ]),
    );
    expect(
      invoices
        .filter((i) => i.reason !== 'period_end' || i.status !== 'paid')
        .map((i) => [i.period_start.toISOString(), i.reason, i.status]),
    ).toEqual([]);
    expect((await handle.query(subscriptionStatusQuery)).currentPeriod).toEqual({
      start: new Date(startAt.getTime() + ended * DAY).toISOString(),
      end: new Date(startAt.getTime() + (ended + 1) * DAY).toISOString(),
    });

    // Follow the chain of runs: none invoiced more than PER_RUN periods.
    const perRun: number[] = [];
    let runId: string | undefined = firstRun;
    while (runId) {
      const events = (await s.env.client.workflow.getHandle(subscriptionWorkflowId(sub.id), runId).fetchHistory()).events as Event[];
      // writeInvoice runs as a local activity (the close's steps run in the workflow task).
      perRun.push(localActivityRuns(events, 'writeInvoice').length);
      runId =
        events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)?.workflowExecutionContinuedAsNewEventAttributes
          ?.newExecutionRunId ?? undefined;
    }
    expect(perRun.reduce((a, b) => a + b, 0)).toBe(ended);
    expect(Math.max(...perRun)).toBe(PER_RUN);
    expect(perRun.length).toBeGreaterThanOrEqual(Math.ceil(ended / PER_RUN));
  });
});
