/**
 * The failure type of a declined payment attempt, shared by the activity that raises it
 * (non-retryable) and the dunning workflow that schedules the next attempt.
 */
export const PAYMENT_DECLINED = 'PaymentDeclined';
