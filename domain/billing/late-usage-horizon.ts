/**
 * Which subscriptions can still bill a late event. A subscription bills an event of one of its
 * metered event types whose time lies in its life [start, end); of the windows it has already
 * invoiced, only those that ended at most its plan's lateUsageDays ago are read again, so an event
 * before `horizonFrom` (the start of the oldest such window, or, when none, the end of everything
 * invoiced) is beyond its horizon and never billed. Instants in ms since the epoch.
 */
export type LateUsageBiller = {
  subscriptionId: string;
  eventTypes: readonly string[];
  start: number;
  /** The cancellation (null while the subscription runs). */
  end: number | null;
  horizonFrom: number;
  canceled: boolean;
};

/** The subscriptions whose life holds an event of `type` at `timeMs` (whether or not still billable). */
const livingAt = (billers: readonly LateUsageBiller[], type: string, timeMs: number) =>
  billers.filter((b) => b.eventTypes.includes(type) && timeMs >= b.start && (b.end === null || timeMs < b.end));

/**
 * True when some subscription's life holds the event, and for every one of them the window it
 * falls in ended more than lateUsageDays ago: it is stored, but no invoice will ever bill it.
 * An event no subscription's life holds is not "late": nothing could bill it at any time.
 */
export function beyondLateUsageHorizon(billers: readonly LateUsageBiller[], type: string, timeMs: number): boolean {
  const living = livingAt(billers, type, timeMs);
  return living.length > 0 && living.every((b) => timeMs < b.horizonFrom);
}

/** Canceled subscriptions that can still bill the event: they invoice it as late usage. */
export const canceledBillersOf = (billers: readonly LateUsageBiller[], type: string, timeMs: number): string[] =>
  livingAt(billers, type, timeMs)
    .filter((b) => b.canceled && timeMs >= b.horizonFrom)
    .map((b) => b.subscriptionId);
