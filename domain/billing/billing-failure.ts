/**
 * The failure type of an invoice that cannot be issued because an amount or quantity is larger
 * than an invoice stores. Non-retryable (the numbers will not shrink); shared by the invoice
 * activities that raise it and the subscription workflow that records it and moves on.
 */
export const INVOICE_AMOUNT_OUT_OF_RANGE = 'InvoiceAmountOutOfRange';
