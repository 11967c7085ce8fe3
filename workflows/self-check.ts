import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { SelfCheckResult } from '../activities/self-check.ts';

const { selfCheck } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

/** Proves a worker is wired: one activity that touches PostgreSQL and ClickHouse. */
export async function selfCheckWorkflow(nonce: string): Promise<SelfCheckResult> {
  return selfCheck(nonce);
}
