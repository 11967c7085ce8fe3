// Entry point the worker bundles: every workflow the `billing` task queue runs.
export { selfCheckWorkflow } from './self-check.ts';
export { webhookDeliveryWorkflow } from './webhooks/webhook-delivery-workflow.ts';
