import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client as TemporalClient } from '@temporalio/client';
import type { DatabasePool } from 'slonik';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createBillingHarness, type BillingHarness } from '../harness/billing.ts';
import { createSubscriptionsService } from '../../api/subscriptions/subscriptions-service.ts';
import { startPendingSubscriptionWorkflows } from '../../api/subscriptions/workflow-start.ts';
import { subscriptionWorkflowId } from '../../workflows/contract.ts';

// A subscription's workflow starts after its row commits: a start lost between the two is made
// good by the reconciler, once; a commit that fails starts nothing.

let env: TestWorkflowEnvironment;
let h: BillingHarness;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  h = await createBillingHarness();
  await h.attach(env);
});
afterAll(async () => {
  await h?.dispose();
  await env?.teardown();
});

/** The real client, except that workflow.start fails its first `failures` calls; counts the calls. */
function temporalFailing(failures: number) {
  const calls = { starts: 0 };
  const real = env.client;
  const workflow = new Proxy(real.workflow, {
    get(target, prop) {
      if (prop === 'start') {
        return (...args: Parameters<typeof real.workflow.start>) => {
          calls.starts += 1;
          if (calls.starts <= failures) return Promise.reject(new Error('temporal unavailable'));
          return target.start(...args);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const client = new Proxy(real, { get: (target, prop) => (prop === 'workflow' ? workflow : Reflect.get(target, prop)) }) as TemporalClient;
  return { client, calls };
}

const startRow = async (subscriptionId: string) =>
  (
    await h.ownerQuery<{ started_at: Date | null }>('SELECT started_at FROM subscription_workflow_starts WHERE subscription_id = $1', [
      subscriptionId,
    ])
  )[0];

const describeRun = (subscriptionId: string) => env.client.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).describe();

async function tenantAndPlan(name: string) {
  const tenant = await h.createTenant({ name });
  const plan = await h.createPlan({ code: name.toLowerCase(), name, currency: 'USD', interval: 'month', baseFee: '10', charges: [] });
  return { tenant, plan };
}

describe('starting subscription workflows after commit', () => {
  it('a start that fails after the commit is made good by the reconciler, exactly once', async () => {
    const { tenant, plan } = await tenantAndPlan('Lost');
    const failing = temporalFailing(1);
    const service = createSubscriptionsService({ pg: h.db.pool, temporal: failing.client, searchAttributes: false });
    // The subscription is committed even though its workflow could not be started.
    const sub = await service.create({ tenantId: tenant.id, planId: plan.id });
    expect(failing.calls.starts).toBe(1);
    expect(await startRow(sub.id)).toEqual({ started_at: null });
    await expect(describeRun(sub.id)).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });

    expect(await startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: env.client })).toEqual({ started: 1, failed: 0 });
    const run = await describeRun(sub.id);
    expect(run.status.name).toBe('RUNNING');
    expect(await startRow(sub.id)).toEqual({ started_at: expect.any(Date) });
    // Nothing left to start.
    expect(await startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: env.client })).toEqual({ started: 0, failed: 0 });

    // Two reconcilers that both believe it unstarted (the mark was lost) start nothing more.
    await h.ownerQuery('UPDATE subscription_workflow_starts SET started_at = NULL WHERE subscription_id = $1', [sub.id]);
    const both = await Promise.all([
      startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: env.client }),
      startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: env.client }),
    ]);
    expect(both).toEqual([
      { started: 0, failed: 0 },
      { started: 0, failed: 0 },
    ]);
    expect((await describeRun(sub.id)).runId).toBe(run.runId);
    expect(await startRow(sub.id)).toEqual({ started_at: expect.any(Date) });
  });

  it('a reconciler whose start fails leaves the row for the next run', async () => {
    const { tenant, plan } = await tenantAndPlan('Twice');
    const sub = await createSubscriptionsService({ pg: h.db.pool, temporal: temporalFailing(1).client, searchAttributes: false }).create({
      tenantId: tenant.id,
      planId: plan.id,
    });
    const failingAgain = temporalFailing(1);
    expect(await startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: failingAgain.client })).toEqual({ started: 0, failed: 1 });
    expect(await startRow(sub.id)).toEqual({ started_at: null });
    expect(await startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: failingAgain.client })).toEqual({ started: 1, failed: 0 });
    expect((await describeRun(sub.id)).status.name).toBe('RUNNING');
  });

  it('a commit that fails starts no workflow', async () => {
    const { tenant, plan } = await tenantAndPlan('Rolled');
    const recording = temporalFailing(0);
    // The pool's transactions do all their work, then fail instead of committing.
    const failingCommit = new Proxy(h.db.pool, {
      get(target, prop) {
        if (prop === 'transaction') {
          return (work: Parameters<DatabasePool['transaction']>[0]) =>
            target.transaction(async (tx) => {
              await work(tx);
              throw new Error('commit failed');
            });
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const service = createSubscriptionsService({ pg: failingCommit, temporal: recording.client, searchAttributes: false });
    await expect(service.create({ tenantId: tenant.id, planId: plan.id })).rejects.toThrow('commit failed');
    expect(recording.calls.starts).toBe(0);
    expect(await h.ownerQuery('SELECT id FROM subscriptions WHERE tenant_id = $1', [tenant.id])).toEqual([]);
    expect(await startPendingSubscriptionWorkflows({ pg: h.db.pool, temporal: recording.client })).toEqual({ started: 0, failed: 0 });
    expect(recording.calls.starts).toBe(0);
  });

  it('two creates at once: one subscription, one 409, one workflow started', async () => {
    const { tenant, plan } = await tenantAndPlan('Race');
    const recording = temporalFailing(0);
    const service = createSubscriptionsService({ pg: h.db.pool, temporal: recording.client, searchAttributes: false });
    const outcomes = await Promise.allSettled([
      service.create({ tenantId: tenant.id, planId: plan.id }),
      service.create({ tenantId: tenant.id, planId: plan.id }),
    ]);
    const created = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(created).toHaveLength(1);
    expect(refused.map((r) => (r.reason as { status?: number }).status)).toEqual([409]);
    expect(recording.calls.starts).toBe(1);
    expect((await describeRun(created[0]!.value.id)).status.name).toBe('RUNNING');
  });
});
