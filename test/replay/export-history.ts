import type { Client } from '@temporalio/client';
import { historyToJson } from './history-json.ts';
import type { HistoryEventJson } from './history-set.ts';
import { attributesOf } from './history-set.ts';

export type ExportedRun = { runId: string; json: string; history: { events: HistoryEventJson[] } };

/** Polls `check` every 250 ms until it returns true; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Waits until the workflow's latest run has closed, or is idle: no workflow task and no activity
 * pending, so its history ends where a real worker left it, not in the middle of a task.
 */
export async function settle(client: Client, workflowId: string): Promise<void> {
  await until(`${workflowId} to settle`, async () => {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.status.name !== 'RUNNING') return true;
    return !d.raw.pendingWorkflowTask && (d.raw.pendingActivities ?? []).length === 0;
  });
}

/**
 * Every run of a workflow id, first to latest, following continue-as-new back from the latest
 * run (each run's started event names the run it continues).
 */
export async function exportRuns(client: Client, workflowId: string): Promise<ExportedRun[]> {
  await settle(client, workflowId);
  const latest = await client.workflow.getHandle(workflowId).describe();
  const runs: ExportedRun[] = [];
  let runId: string | undefined = latest.runId;
  while (runId) {
    const json = historyToJson(await client.workflow.getHandle(workflowId, runId).fetchHistory());
    const history = JSON.parse(json) as ExportedRun['history'];
    runs.unshift({ runId, json, history });
    runId = (attributesOf(history.events[0]!).continuedExecutionRunId as string | undefined) || undefined;
  }
  return runs;
}
