import { beforeAll, describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { Worker, bundleWorkflowCode, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import * as workflows from '../../workflows/index.ts';
import { WORKFLOWS_PATH } from '../../cli/temporal/create-worker.ts';
import { attributesOf, loadHistorySets, runEndOf, scheduledActivities, workflowTypeOf, type LoadedHistory } from './history-set.ts';
import { historyFromJson } from './history-json.ts';

// Every history recorded from an earlier version of the workflow code (test/replay/histories,
// written by `npm run replay:record`) must replay against the current code: each stands for
// workflows that may still be running in production. No server is needed, only the bundle the
// integration run builds once (the same bundle the other integration tests' workers run).

const { sets, histories } = loadHistorySets();
const label = (h: LoadedHistory) => `${h.set}/${h.file}`;

async function replay(workflowBundle: ReplayWorkerOptions['workflowBundle'], subset: readonly LoadedHistory[]) {
  const input = subset.map((h) => ({ workflowId: h.workflowId, history: historyFromJson(h.history) }));
  const errors: (Error | undefined)[] = [];
  // One at a time, in order: the n-th result is the n-th history's.
  for await (const result of Worker.runReplayHistories({ workflowBundle }, input)) errors.push(result.error);
  expect(errors).toHaveLength(subset.length);
  return subset.map((h, i) => ({ file: label(h), error: errors[i] }));
}

describe('recorded workflow histories', () => {
  it('exist, and each is what its manifest says it is', () => {
    expect(sets.length).toBeGreaterThan(0);
    for (const h of histories) {
      const started = attributesOf(h.history.events[0]!);
      expect([label(h), workflowTypeOf(h.history), started.workflowId, runEndOf(h.history), h.history.events.length]).toEqual([
        label(h),
        h.workflowType,
        h.workflowId,
        h.end,
        h.events,
      ]);
    }
  });

  it('cover every workflow type the worker registers', () => {
    const recorded = new Set(histories.map((h) => h.workflowType));
    expect(Object.keys(workflows).filter((type) => !recorded.has(type))).toEqual([]);
  });

  it('cover a subscription run that continues as new, and the run that continues it', () => {
    const subscriptionRuns = histories.filter((h) => h.workflowType === 'subscriptionWorkflow');
    const boundaries = subscriptionRuns.filter((h) => {
      if (h.end !== 'continued_as_new') return false;
      const next = subscriptionRuns.find((n) => n.set === h.set && n.workflowId === h.workflowId && n.run === h.run + 1);
      return next !== undefined && attributesOf(next.history.events[0]!).continuedExecutionRunId === h.runId;
    });
    expect(boundaries.length).toBeGreaterThan(0);
  });

  it('replay against the current workflow code', async () => {
    const results = await replay({ codePath: inject('workflowBundlePath') }, histories);
    expect(results.filter((r) => r.error).map((r) => `${r.file}: ${r.error!.message}`)).toEqual([]);
  });
});

describe('a workflow change that would break running workflows', () => {
  // The probes change the invoicing path (one more activity before finalizeInvoice); only
  // histories that reached it can notice.
  const reachesProbe = (h: LoadedHistory) => scheduledActivities(h.history).includes('finalizeInvoice');
  const bundles: { unguarded?: string; patched?: string } = {};

  beforeAll(async () => {
    const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;
    const bundle = async (probe: string) =>
      (
        await bundleWorkflowCode({
          workflowsPath: WORKFLOWS_PATH,
          workflowInterceptorModules: [join(import.meta.dirname, 'probes', probe)],
          logger: quiet,
        })
      ).code;
    [bundles.unguarded, bundles.patched] = await Promise.all([bundle('extra-activity.ts'), bundle('extra-activity-behind-patch.ts')]);
  }, 240_000);

  it('fails replay with a DeterminismViolationError when made without patched()', async () => {
    expect(histories.filter(reachesProbe).length).toBeGreaterThan(0);
    const results = await replay({ code: bundles.unguarded! }, histories);
    const outcome = results.map((r) => ({ file: r.file, nondeterministic: r.error instanceof DeterminismViolationError }));
    expect(outcome).toEqual(histories.map((h) => ({ file: label(h), nondeterministic: reachesProbe(h) })));
  });

  it('replays every history when the same change is behind patched()', async () => {
    const results = await replay({ code: bundles.patched! }, histories);
    expect(results.filter((r) => r.error).map((r) => `${r.file}: ${r.error!.message}`)).toEqual([]);
  });
});
