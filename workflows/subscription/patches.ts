// The patch ids of the subscription workflow (deploy/README.md, "patched(), step by step"). Each
// is asked where the behaviour it guards happens, and only there: moving a patched() call
// relative to the commands around it changes the history.

/**
 * The steps of a close (usage, late usage, the draft, finalizing), the late-usage looks, the
 * read-model report and the webhook events of the outbox run as local activities (retire at
 * step 5). Each activity the server schedules costs it a task dispatch and three history writes,
 * and when many periods end at once that round trip, not the steps, limited how fast invoices
 * were issued. Every step is idempotent, so a worker crash between two steps replays the workflow
 * task and repeats the steps already done without a second invoice, number or event. Asked before
 * each call (a run on the old path keeps its remaining calls there until it resumes on this code);
 * before it, all were activities.
 */
export const STEPS_IN_WORKFLOW_TASK = 'close-steps-as-local-activities';
/**
 * A close whose invoice fails with InvoiceAmountOutOfRange is recorded in the status and skipped,
 * and the subscription bills on. Before it, that failure failed the whole workflow.
 */
export const SKIP_OUT_OF_RANGE_INVOICE = 'skip-invoice-amount-out-of-range';
/**
 * A close whose invoice fails with BillingDomainError (a RangeError or a domain validation error,
 * non-retryable since the activity raises it so) is recorded and skipped the same way. Before it,
 * such an error was retried every minute forever, so no history holds that failure.
 */
export const SKIP_DOMAIN_ERROR_INVOICE = 'skip-invoice-on-domain-error';
/**
 * An update (or a queued invoice-now) handled once the period has ended first rolls the period.
 * Before it, one handled in the same task as the period's timer, or while the loop sat in an
 * activity across the boundary, acted on the ended period and stretched its window past its end.
 */
export const ROLL_BEFORE_REQUESTS = 'roll-period-before-requests';
/** At most maxClosesPerRun closes per run, then continue-as-new. Before it, a run invoiced every due close. */
export const BOUNDED_CLOSES_PER_RUN = 'bounded-closes-per-run';
/**
 * An invoice-now bills the period so far and the period keeps its start and end (the period's
 * close bills the rest, rated cumulatively). Before it, an invoice-now ended the period and
 * started a new one at that instant.
 */
export const INVOICE_NOW_KEEPS_PERIOD = 'invoice-now-keeps-period';
/**
 * A canceled subscription stays open for its plan's late-usage horizon, looks for late usage now
 * and then (and on invoice-now), and bills it on late-usage invoices. Asked only once the
 * subscription has ended. Before it, the workflow completed once its final invoice was issued and
 * collected, and late events after that were never billed.
 */
export const LATE_USAGE_AFTER_CANCEL = 'late-usage-after-cancel';
/**
 * A subscription whose input names a zone other than UTC (the tenant's, since time zones) has
 * its periods and trial follow that zone's calendar: each starts at the anchor's local day and
 * time, across DST. The zone is decided in the first run and carried in the state; later runs
 * do not ask. Asked only when the input names such a zone, which no run from before it does:
 * their periods, and every UTC subscription's, stay where they were.
 */
export const ZONED_PERIODS = 'periods-in-tenant-time-zone';
/**
 * At the start of each paid period (and for the current one when a run first sees it, a new
 * subscription included) the plan's included credits are granted through the
 * grantIncludedCredits activity, once per (subscription, period start). Asked only when the run
 * sees a paid period it has not granted yet. Before it, plans had no included credits, and no
 * history holds that activity.
 */
export const INCLUDED_CREDITS_PER_PERIOD = 'included-credits-per-period';
