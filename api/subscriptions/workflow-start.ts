import type { DatabasePool } from 'slonik';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client as TemporalClient } from '@temporalio/client';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { workflowStartsRepository, type WorkflowStartRow } from '../../db/postgres/workflow-starts-repository.ts';
import {
  SUBSCRIPTION_WORKFLOW,
  SubscriptionStatusSearchAttribute,
  TASK_QUEUE,
  TenantIdSearchAttribute,
  type SubscriptionWorkflowInput,
} from '../../workflows/contract.ts';

type Deps = { pg: DatabasePool; temporal: TemporalClient };
type PendingStart = Pick<WorkflowStartRow, 'subscription_id' | 'workflow_id' | 'input' | 'search_attributes'>;

/**
 * Starts a committed subscription's workflow and records that it runs. A workflow of that id
 * started before (by a concurrent reconciler, or a start whose acknowledgement was lost) counts
 * as started: REJECT_DUPLICATE makes the id start once, ever.
 */
export async function startSubscriptionWorkflow({ pg, temporal }: Deps, s: PendingStart): Promise<'started' | 'already_started'> {
  let outcome: 'started' | 'already_started' = 'started';
  try {
    await temporal.workflow.start(SUBSCRIPTION_WORKFLOW, {
      taskQueue: TASK_QUEUE,
      workflowId: s.workflow_id,
      args: [s.input as SubscriptionWorkflowInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...(s.search_attributes
        ? {
            typedSearchAttributes: [
              { key: TenantIdSearchAttribute, value: s.search_attributes.tenantId },
              { key: SubscriptionStatusSearchAttribute, value: s.search_attributes.status },
            ],
          }
        : {}),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    outcome = 'already_started';
  }
  await withOperator(pg, (tx) => workflowStartsRepository.markStarted(tx, s.subscription_id));
  return outcome;
}

/**
 * The reconciler: starts the workflow of every committed subscription not known to have one.
 * Safe to run anywhere and concurrently. Returns how many it started; a start that fails is
 * left for the next run.
 */
export async function startPendingSubscriptionWorkflows(deps: Deps, limit = 100): Promise<{ started: number; failed: number }> {
  const pending = await withOperator(deps.pg, (tx) => workflowStartsRepository.unstarted(tx, limit));
  let started = 0;
  let failed = 0;
  for (const s of pending) {
    try {
      if ((await startSubscriptionWorkflow(deps, s)) === 'started') started += 1;
    } catch {
      failed += 1;
    }
  }
  return { started, failed };
}
