import type { ActivityDeps } from './deps.ts';
import { createSelfCheckActivities } from './self-check.ts';
import { createAlertActivities } from './alerts/index.ts';
import { createSubscriptionActivities } from './subscriptions/subscription-activities.ts';
import { createInvoiceActivities } from './invoices/invoice-activities.ts';
import { createPaymentActivities } from './payments/payment-activities.ts';
import { createWebhookActivities } from './webhooks/webhook-activities.ts';
import { createCreditActivities } from './credits/credit-activities.ts';

/** Builds every activity the worker registers, closed over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfCheckActivities(deps),
    ...createAlertActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createInvoiceActivities(deps),
    ...createPaymentActivities(deps),
    ...createWebhookActivities(deps),
    ...createCreditActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.ts';
