// The same extra activity as extra-activity.ts, done right: behind patched(). Histories recorded
// before the change replay on the old path; new executions take the new one.
import { patched, proxyActivities, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.ts';

const probe = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        if (input.activityType === 'finalizeInvoice' && patched('replay-probe-extra-activity')) await probe.selfCheck('replay-probe');
        return next(input);
      },
    },
  ],
});
