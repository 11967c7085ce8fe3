// The same extra activity as extra-activity.ts, done right: behind patched(). Histories recorded
// before the change replay on the old path; new executions take the new one.
import { patched, proxyActivities, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.ts';

const probe = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      // Any other activity gets next's own promise: an async wrapper would resolve it a few
      // microtasks later and so reorder its commands against an update handled in the same task.
      scheduleActivity(input, next) {
        if (input.activityType === 'finalizeInvoice' && patched('replay-probe-extra-activity'))
          return probe.selfCheck('replay-probe').then(() => next(input));
        return next(input);
      },
    },
  ],
});
