// A deliberate non-determinism for the replay test: one more activity call right before the
// subscription workflow finalizes an invoice, WITHOUT patched(). Added to the workflow bundle as
// an interceptor, it changes the invoicing path as a careless edit of invoicePeriod would.
import { proxyActivities, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.ts';

const probe = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      // Any other activity gets next's own promise: an async wrapper would resolve it a few
      // microtasks later and so reorder its commands against an update handled in the same task.
      scheduleActivity(input, next) {
        if (input.activityType === 'finalizeInvoice') return probe.selfCheck('replay-probe').then(() => next(input));
        return next(input);
      },
    },
  ],
});
