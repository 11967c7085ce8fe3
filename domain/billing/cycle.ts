import { periodContaining } from '../periods/schedule.ts';
import { trialEnd } from '../periods/trial.ts';
import type { Interval, Period } from '../periods/index.ts';

/** What a subscription's timeline needs from its plan. */
export interface CycleTerms {
  interval: Interval;
  intervalCount: number;
  trialDays: number;
}

/**
 * One period of a subscription's timeline. A trial is a period of its own (never invoiced);
 * a paid period is a period of the billing schedule `anchor` + n × interval.
 */
export interface CyclePeriod extends Period {
  kind: 'trial' | 'paid';
  /** The anchor of the billing schedule this period belongs to (a trial's is its end). */
  anchor: Date;
  /**
   * Where the part not yet invoiced starts inside [start, end): later than `start` for a first
   * period that begins mid-period (a start between anchors; the base fee is prorated over the
   * rest), and after an invoice-now, which billed the period up to it.
   */
  serviceFrom: Date;
}

/**
 * The first period of a subscription starting at `startAt`.
 * - With a trial, the trial [startAt, startAt + trialDays) comes first, and the first paid period
 *   starts where it ends: the trial's end is the billing anchor (an explicit billingAnchor is not used).
 * - Otherwise the schedule is anchored at billingAnchor (default startAt), and the first period is
 *   the one containing startAt; when startAt is not on an anchor, service starts mid-period.
 * startAt may lie in the past: the caller rolls forward period by period. With `timeZone` the
 * schedule (and the trial's days) follow that zone's calendar (periods/schedule.ts); without, UTC's.
 */
export function firstCyclePeriod(o: { startAt: Date; billingAnchor?: Date; terms: CycleTerms; timeZone?: string }): CyclePeriod {
  const { startAt, terms, timeZone } = o;
  if (terms.trialDays > 0) {
    const end = trialEnd(startAt, terms.trialDays, timeZone);
    return { kind: 'trial', start: startAt, end, anchor: end, serviceFrom: startAt };
  }
  const anchor = o.billingAnchor ?? startAt;
  const period = periodContaining({ anchor, interval: terms.interval, intervalCount: terms.intervalCount, timeZone }, startAt);
  return { kind: 'paid', start: period.start, end: period.end, anchor, serviceFrom: startAt };
}

/**
 * The paid period that starts where `current` ends (or at `reanchorAt`, which also becomes the new
 * anchor). Re-anchoring happens when a plan with another interval takes over at a period boundary,
 * and, in subscription runs from before invoice-now kept the period, after an invoice-now.
 * `timeZone` must be the one the subscription's first period was computed in.
 */
export function followingPeriod(current: CyclePeriod, terms: CycleTerms, reanchorAt?: Date, timeZone?: string): CyclePeriod {
  const from = reanchorAt ?? current.end;
  const anchor = reanchorAt ?? current.anchor;
  const period = periodContaining({ anchor, interval: terms.interval, intervalCount: terms.intervalCount, timeZone }, from);
  return { kind: 'paid', start: period.start, end: period.end, anchor, serviceFrom: from };
}

/** A part of a period under one plan: [from, next part's from or the service end). */
export interface Part<P> {
  from: Date;
  plan: P;
}

/**
 * Adds a change at `at` (a plan change effective immediately): [.., at) keeps the old plan and
 * [at, ..) gets the new one. An event at exactly `at` belongs to the new part. A change at the
 * instant the last part starts replaces that part's plan (it would otherwise be empty).
 */
export function addPart<P>(parts: readonly Part<P>[], at: Date, plan: P): Part<P>[] {
  const last = parts[parts.length - 1];
  if (last && at.getTime() < last.from.getTime()) throw new RangeError('a change cannot precede the current part of the period');
  if (last && at.getTime() === last.from.getTime()) return [...parts.slice(0, -1), { from: at, plan }];
  return [...parts, { from: at, plan }];
}

/** The parts as windows [from, to), the last one ending at `serviceEnd`; empty parts are dropped. */
export function partWindows<P>(parts: readonly Part<P>[], serviceEnd: Date): Array<Period & { plan: P }> {
  return parts
    .map((s, i) => {
      const next = i + 1 < parts.length ? parts[i + 1]!.from : serviceEnd;
      return { start: s.from, end: next.getTime() < serviceEnd.getTime() ? next : serviceEnd, plan: s.plan };
    })
    .filter((w) => w.end.getTime() > w.start.getTime());
}
