import { continueAsNew, setHandler } from '@temporalio/workflow';
import {
  cancelUpdate,
  changePlanUpdate,
  invoiceNowUpdate,
  invoiceSettledSignal,
  invoiceUncollectibleSignal,
  lateUsageArrivedSignal,
  subscriptionStatusQuery,
} from '../contract.ts';
import type { SubscriptionStatus } from '../contract.ts';
import type { SubscriptionRunInput } from './state.ts';
import { SubscriptionRun } from './subscription-run.ts';

/**
 * One subscription, for its whole life (workflow ID subscription-<id>). Each run waits for the
 * current period to end (racing the timer against updates), waits the plan's grace period for
 * late events, then invoices the period through activities (usage → rating → idempotent write →
 * finalize → dunning child → webhooks) and continues as new with the next period (lazily: see
 * SubscriptionRun.continueAsNewDue), so each run's history holds one close. A back-dated
 * subscription rolls through every ended period at once and invoices them in order. Updates
 * change the plan, cancel, or invoice now; the `status` query answers the live state. Money is
 * never computed here: rating happens in activities with domain/ functions.
 *
 * This function only wires the handlers and runs the loop; SubscriptionRun holds each step.
 */
export async function subscriptionWorkflow(input: SubscriptionRunInput): Promise<SubscriptionStatus> {
  const run = new SubscriptionRun(input);

  setHandler(subscriptionStatusQuery, () => run.status());
  setHandler(changePlanUpdate, (req) => run.changePlan(req), { validator: (req) => run.validateChangePlan(req) });
  setHandler(cancelUpdate, (req) => run.cancel(req), { validator: (req) => run.validateCancel(req) });
  setHandler(invoiceNowUpdate, (req) => run.invoiceNow(req), { validator: (req) => run.validateInvoiceNow(req) });
  setHandler(invoiceUncollectibleSignal, (signal) => run.invoiceUncollectible(signal));
  setHandler(invoiceSettledSignal, (signal) => run.invoiceSettled(signal));
  setHandler(lateUsageArrivedSignal, () => run.lateUsageArrived());

  for (;;) {
    if (run.continueAsNewDue()) {
      await run.reportIfDue();
      await continueAsNew<typeof subscriptionWorkflow>({ ...input, carried: run.carried });
    }
    // Requests, then rolls, then the closes that are due, the new period's credits; then the report and the webhooks.
    const taken = run.takeRequests();
    const invoiced = await run.invoiceDueCloses();
    // After the closes: the ended period's invoice takes its own included credits first.
    await run.grantIncludedCredits();
    await run.publish(taken || invoiced);
    if (await run.watchLateUsage()) continue;
    if (run.ended()) return run.complete();
    await run.waitForWork();
  }
}
