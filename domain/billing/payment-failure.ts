/**
 * The failure type of a declined payment attempt, shared by the activity that raises it
 * (non-retryable) and the dunning workflow that schedules the next attempt.
 */
export const PAYMENT_DECLINED = 'PaymentDeclined';

/**
 * The failure type of an attempt whose gateway kept failing (timeouts, 5xx) through the activity's
 * own retries: the card was never asked, so the dunning workflow tries the same attempt again
 * later instead of counting it as a decline.
 */
export const GATEWAY_UNAVAILABLE = 'GatewayUnavailable';

/** Activity executions of one attempt that see a gateway error before the attempt is rescheduled. */
export const GATEWAY_TRIES_PER_ATTEMPT = 10;
