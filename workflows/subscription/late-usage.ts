// After a cancellation the subscription stays open for its plan's late-usage horizon, so that
// events which arrive late for its last periods are still billed. These are the decisions of
// that phase as plain functions of the state and an instant (unit-tested); the workflow only
// waits, calls activities and applies them.
import type { CarriedSubscriptionState, LateUsageWatch, PendingClose } from './state.ts';
import { currentPlan } from './timeline.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string) => new Date(text).getTime();
const DAY_MS = 86_400_000;

/** The horizon of runs started before plans had lateUsageDays. */
export const DEFAULT_LATE_USAGE_DAYS = 35;
/**
 * The first interval between a canceled subscription's looks for late usage. It grows fourfold
 * with each look that finds nothing, up to a week: arriving events are announced by ingest (a
 * signal that makes the next look happen at once), so the periodic look only catches what was not
 * announced (written by another path, or a signal lost), and a 35-day horizon costs about a dozen
 * looks (each an activity and a timer in the history, and a few usage reads).
 */
export const DEFAULT_LATE_USAGE_CHECK_SECONDS = 60;
export const MAX_LATE_USAGE_CHECK_SECONDS = 7 * 86_400;
const QUIET_GROWTH = 4;
/**
 * Checks one run makes before it continues as new. A check is an activity and a timer, about ten
 * history events: 200 keep a run near 2 000 events, far below Temporal's limits.
 */
export const MAX_LATE_CHECKS_PER_RUN = 200;

/**
 * The watch of a subscription that has ended at `s.canceledAt`: open until lateUsageDays (of the
 * plan in force at the end) after it, first check at once. Null when it is not ended.
 */
export function startLateUsageWatch(
  s: CarriedSubscriptionState,
  now: number,
  checkSeconds: number = DEFAULT_LATE_USAGE_CHECK_SECONDS,
): LateUsageWatch | null {
  if (s.period || s.state !== 'canceled' || !s.canceledAt) return null;
  const end = ms(s.canceledAt);
  const days = currentPlan(s).lateUsageDays ?? DEFAULT_LATE_USAGE_DAYS;
  const until = end + days * DAY_MS;
  return {
    from: s.canceledAt,
    until: iso(until),
    nextCheckAt: iso(Math.min(now, until)),
    checkSeconds: Math.max(1, checkSeconds),
    quietChecks: 0,
  };
}

export type LateUsageStep = { kind: 'ended' } | { kind: 'check' } | { kind: 'wait'; ms: number };

/**
 * What the watch does at `now`: the horizon is over once a check at (or after) its end has been
 * made; a check is due at nextCheckAt; until then it waits.
 */
export function lateUsageStep(w: LateUsageWatch, now: number): LateUsageStep {
  if (ms(w.nextCheckAt) > ms(w.until)) return { kind: 'ended' };
  if (now >= ms(w.nextCheckAt)) return { kind: 'check' };
  return { kind: 'wait', ms: ms(w.nextCheckAt) - now };
}

/**
 * After a check at `now` that found late usage or not: the next one after the first interval
 * (found) or four times the last (nothing), at most a week later, and the last one at the horizon's end.
 */
export function afterLateUsageCheck(w: LateUsageWatch, now: number, found: boolean): void {
  w.quietChecks = found ? 0 : w.quietChecks + 1;
  const seconds = Math.min(w.checkSeconds * QUIET_GROWTH ** Math.min(w.quietChecks, 20), MAX_LATE_USAGE_CHECK_SECONDS);
  const next = now + seconds * 1000;
  w.nextCheckAt = iso(now >= ms(w.until) ? next : Math.min(next, ms(w.until)));
}

/** True while invoice-now may issue a late-usage invoice: the watch is open at `now`. */
export const lateUsageOpen = (s: CarriedSubscriptionState, now: number): boolean =>
  s.lateUsage !== undefined && now <= ms(s.lateUsage.until);

/**
 * Queues a late-usage invoice: its window runs from the watch's `from` to `now` (invoices are
 * unique per subscription and period start, so one window follows the other), due at `readyAt`.
 * It replaces a late-usage invoice still waiting for its grace (not started: the loop queues
 * only between invoices), so an invoice-now issues that one at once rather than a second. Returns
 * null when no time has passed since the last one (nothing could be in it).
 */
export function queueLateUsageClose(
  s: CarriedSubscriptionState,
  now: number,
  invoiceId: string,
  readyAt: number,
  requested = false,
): PendingClose | null {
  const w = s.lateUsage;
  if (!w || now <= ms(w.from)) return null;
  s.closes = s.closes.filter((c) => c.reason !== 'late_usage' || c.requested);
  const close: PendingClose = {
    invoiceId,
    reason: 'late_usage',
    period: { start: w.from, end: iso(now) },
    serviceFrom: w.from,
    serviceEnd: iso(now),
    segments: s.segments,
    readyAt: iso(Math.max(readyAt, now)),
    ...(requested ? { requested } : {}),
  };
  s.closes.push(close);
  return close;
}

/**
 * The window a queued late-usage close invoices now: from where the last issued one ended (an
 * earlier close queued in the same instant may have been issued since) to its end. Null when
 * that is empty: nothing could be in it.
 */
export function lateUsageWindow(s: CarriedSubscriptionState, close: PendingClose): PendingClose | null {
  const from = s.lateUsage?.from ?? close.serviceFrom;
  if (ms(close.serviceEnd) <= ms(from)) return null;
  return { ...close, serviceFrom: from, period: { start: from, end: close.serviceEnd } };
}

/** A late-usage invoice was issued for `close`: the next one starts where it ended. */
export function lateUsageInvoiced(s: CarriedSubscriptionState, close: PendingClose): void {
  if (s.lateUsage && close.reason === 'late_usage') s.lateUsage.from = close.serviceEnd;
}

/** The grace the plan in force at the end gives late events before they are invoiced. */
export const lateUsageGraceMs = (s: CarriedSubscriptionState): number => currentPlan(s).gracePeriodSeconds * 1000;

/** Late events have arrived (ingest said so): check now, if the horizon is still open. */
export function nudgeLateUsage(w: LateUsageWatch, now: number): boolean {
  if (now > ms(w.until) || ms(w.nextCheckAt) <= now) return false;
  w.nextCheckAt = iso(now);
  w.quietChecks = 0;
  return true;
}
