// The patch ids of the dunning workflow (deploy/README.md, "patched(), step by step"). Each is
// asked where the behaviour it guards is decided; the comments at those places say more.

/** Only a gateway decline counts as a decline; unanswered attempts and bookkeeping are retried (asked once, at the start). */
export const SURVIVES_OUTAGES = 'dunning-survives-outages';
/** The webhook events run as local activities (asked before each emit). */
export const WEBHOOKS_IN_WORKFLOW_TASK = 'dunning-webhooks-as-local-activities';
/** After the last decline, only an invoice marked uncollectible is said to be (asked once, at that step). */
export const UNCOLLECTIBLE_ONLY_WHEN_MARKED = 'dunning-uncollectible-only-when-marked';
/**
 * A charge the gateway answers pending (3-D Secure, a bank debit: the Stripe gateway) waits for
 * the provider's webhook, the `gatewayAnswer` signal, for up to PENDING_CHARGE_TIMEOUT_MS, and is
 * then settled by `settlePendingPayment` (the webhook's answer, or on timeout the gateway's,
 * canceling a charge still pending). Asked once, at the start, so a run keeps one behaviour.
 * Before it, a pending answer failed the attempt as PaymentPending, which such a run treats as
 * unanswered and reconciles an hour later (polling the gateway), so runs started before the
 * Stripe gateway existed are still correct if their tenant switches to it.
 */
export const WAITS_FOR_GATEWAY_WEBHOOKS = 'dunning-waits-for-gateway-webhooks';
