// Entry point the worker bundles: every workflow the `billing` task queue runs.
export { selfCheckWorkflow } from './self-check.ts';
export { subscriptionWorkflow } from './subscription/subscription-workflow.ts';
export { dunningWorkflow } from './dunning/dunning-workflow.ts';
export { anomalyScanWorkflow } from './anomaly/anomaly-scan-workflow.ts';
export { webhookDeliveryWorkflow } from './webhooks/webhook-delivery-workflow.ts';
