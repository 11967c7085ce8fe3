export { addPart, firstCyclePeriod, followingPeriod, partWindows } from './cycle.ts';
export type { CyclePeriod, CycleTerms, Part } from './cycle.ts';
export {
  INVOICE_LINE_TYPES,
  dimensionOf,
  dimensionsLabel,
  usageOfValue,
  formatInstant,
  formatWindow,
  invoiceLines,
  invoiceTotals,
  proratedBaseFee,
  lateUsageAdjustment,
  rateChargeForRun,
  rateChargeForWindow,
} from './invoice-lines.ts';
export type {
  BaseFeeRunContext,
  DimensionUsage,
  EarlierInRun,
  LineDimensions,
  InvoiceLineDraft,
  InvoiceLineType,
  InvoicePart,
  LineRatingContext,
  MeteredUsage,
  PartRun,
  TierBreakdown,
} from './invoice-lines.ts';
export { GATEWAY_TRIES_PER_ATTEMPT, GATEWAY_UNAVAILABLE, PAYMENT_DECLINED, PAYMENT_PENDING } from './payment-failure.ts';
export type { GatewayAnswer } from './payment-failure.ts';
export { BILLING_DOMAIN_ERROR, INVOICE_AMOUNT_OUT_OF_RANGE, billingFailureType } from './billing-failure.ts';
export type { BillingFailureType } from './billing-failure.ts';
export {
  INVOICE_ACTIONS,
  INVOICE_ACTORS,
  INVOICE_RULES,
  INVOICE_STATES,
  REFUSAL_CODES,
  decideInvoice,
  remainingMinor,
} from './invoice-state.ts';
export type {
  InvoiceAction,
  InvoiceActor,
  InvoiceCommand,
  InvoiceDecision,
  InvoiceFacts,
  InvoiceRefusal,
  InvoiceState,
  InvoiceTransition,
  Overpayment,
  RefusalCode,
} from './invoice-state.ts';
export { amountDue } from './amount-due.ts';
export { continuedRun, partRuns } from './runs.ts';
export type { BilledRunLine } from './runs.ts';
export { MAX_BACKDATE_DAYS, backdatingProblem } from './backdating.ts';
export { estimatePeriodSoFar, groupByOf, periodSoFarWindow, withMoreUsage } from './period-estimate.ts';
export type { PeriodSoFar, ReadUsage } from './period-estimate.ts';
export { monthlyRecurringRevenue } from './recurring-revenue.ts';
export type { RecurringFees } from './recurring-revenue.ts';
export { beyondLateUsageHorizon, canceledBillersOf } from './late-usage-horizon.ts';
export type { LateUsageBiller } from './late-usage-horizon.ts';
export { planChangeProblem, previewPlanChange } from './plan-change.ts';
export type { ChangeState, ChangeTerms, PlanChangePreview, PreviewPart, PreviewPlan } from './plan-change.ts';
