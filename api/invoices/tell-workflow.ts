import type { Client as TemporalClient, WorkflowHandle } from '@temporalio/client';

/**
 * Sends a workflow something it should know (a signal); a workflow that has finished, or never
 * ran, has nothing to learn, so its absence is not an error.
 */
export async function tellWorkflow(
  temporal: TemporalClient,
  workflowId: string,
  send: (handle: WorkflowHandle) => Promise<void>,
): Promise<void> {
  try {
    await send(temporal.workflow.getHandle(workflowId));
  } catch (err) {
    if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
  }
}
