import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import { TASK_QUEUE } from '../../workflows/contract.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export type WorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (container images); otherwise workflows/ is bundled now. */
  workflowBundlePath?: string;
  taskQueue?: string;
};

/** The one place the billing Worker is created: workflows/ plus createActivities(deps). */
export async function createBillingWorker(o: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue ?? TASK_QUEUE,
    ...(o.workflowBundlePath ? { workflowBundle: { codePath: o.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(o.deps),
  });
}
