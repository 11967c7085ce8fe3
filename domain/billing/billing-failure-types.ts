// The failure types alone, apart from the classification (which needs zod and money): the
// subscription workflow matches on them, and every workflow run evaluates what its bundle imports.
/**
 * The failure type of an invoice that cannot be issued because an amount or quantity is larger
 * than an invoice stores. Non-retryable (the numbers will not shrink); shared by the invoice
 * activities that raise it and the subscription workflow that records it and moves on.
 */
export const INVOICE_AMOUNT_OUT_OF_RANGE = 'InvoiceAmountOutOfRange';

/**
 * The failure type of an invoice step that broke a domain rule: a RangeError (a window outside its
 * period, currencies that differ, a run that starts after its part) or a validation error of the
 * domain (a malformed decimal, an unknown currency, a value its zod schema refuses). The same input
 * breaks the same rule on every retry, so it is non-retryable, like INVOICE_AMOUNT_OUT_OF_RANGE.
 */
export const BILLING_DOMAIN_ERROR = 'BillingDomainError';

export type BillingFailureType = typeof INVOICE_AMOUNT_OUT_OF_RANGE | typeof BILLING_DOMAIN_ERROR;
