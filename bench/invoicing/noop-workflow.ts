import { proxyActivities, sleep } from '@temporalio/workflow';

type NoopActivities = { noop(): Promise<void> };
const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });

/**
 * The Temporal ceiling for the invoicing benchmark: waits for the same instant as the
 * subscriptions' period end, then makes the same number of (empty) activity calls one after
 * another as closing a period does.
 */
export async function noopCloseWorkflow(untilIso: string, calls: number): Promise<void> {
  const wait = new Date(untilIso).getTime() - Date.now();
  if (wait > 0) await sleep(wait);
  for (let i = 0; i < calls; i += 1) await noop();
}
