import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';

type NoopActivities = { noop(): Promise<void> };
const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });

async function until(untilIso: string): Promise<void> {
  const wait = new Date(untilIso).getTime() - Date.now();
  if (wait > 0) await sleep(wait);
}

/**
 * The Temporal ceiling for the invoicing benchmark: waits for the same instant as the
 * subscriptions' period end, then makes the same number of empty calls one after another as
 * closing a period does: `localCalls` local activities, then `calls` activities.
 */
export async function noopCloseWorkflow(untilIso: string, calls: number, localCalls = 0): Promise<void> {
  await until(untilIso);
  for (let i = 0; i < localCalls; i += 1) await local.noop();
  for (let i = 0; i < calls; i += 1) await noop();
}

/** The same calls as local activities: what a close would cost if its steps ran in the worker's own task. */
export async function noopLocalCloseWorkflow(untilIso: string, calls: number): Promise<void> {
  await until(untilIso);
  for (let i = 0; i < calls; i += 1) await local.noop();
}
