// A deliberate non-determinism for the replay test: one more activity call right before the
// subscription workflow finalizes an invoice, WITHOUT patched(). Added to the workflow bundle as
// an interceptor, it changes the invoicing path as a careless edit of invoicePeriod would.
import { proxyActivities, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { Activities } from '../../../activities/index.ts';

const probe = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        if (input.activityType === 'finalizeInvoice') await probe.selfCheck('replay-probe');
        return next(input);
      },
    },
  ],
});
