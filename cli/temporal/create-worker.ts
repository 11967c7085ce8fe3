import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerInterceptors } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import { withWorkflowContract } from './workflow-deps.ts';
import { TASK_QUEUE } from '../../workflows/contract.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/**
 * How much one worker takes on at once. Each workflow task counts against its 10 s timeout
 * from the moment it is polled, and the workflows of a worker run on one thread: with the SDK's
 * 40 slots a busy worker queued tasks past 5 s, and past 10 s the server discarded the
 * finished work and handed the task out again, so an overloaded worker did more work for less.
 * Ten keeps a queue of them short; the rest wait on the server, where waiting costs nothing.
 * Activities mostly wait on PostgreSQL, whose pool has 10 to 20 connections: more than 20 in
 * flight only queue for a connection while their 30 s timeout runs. Scale out with replicas.
 */
export const BILLING_WORKER_SLOTS = {
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentActivityTaskExecutions: 20,
} as const;

export type WorkerSlots = { maxConcurrentWorkflowTaskExecutions: number; maxConcurrentActivityTaskExecutions: number };

export type WorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (container images); otherwise workflows/ is bundled now. */
  workflowBundlePath?: string;
  taskQueue?: string;
  /** Defaults to BILLING_WORKER_SLOTS. */
  slots?: WorkerSlots;
  /** Extra interceptors (the invoicing benchmark times each activity with one). */
  interceptors?: WorkerInterceptors;
};

/** The one place the billing Worker is created: workflows/ plus createActivities(deps). */
export async function createBillingWorker(o: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue ?? TASK_QUEUE,
    ...(o.workflowBundlePath ? { workflowBundle: { codePath: o.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(withWorkflowContract(o.deps)),
    ...(o.slots ?? BILLING_WORKER_SLOTS),
    ...(o.interceptors ? { interceptors: o.interceptors } : {}),
  });
}
