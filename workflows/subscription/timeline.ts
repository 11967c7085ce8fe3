// The subscription's timeline as plain, deterministic state transitions. The workflow calls these;
// unit tests call them directly. No I/O, no clock: every instant is passed in.
import { addPart, firstCyclePeriod, followingPeriod } from '../../domain/billing/cycle.ts';
import type { CyclePeriod } from '../../domain/billing/cycle.ts';
import { planChangeProblem } from '../../domain/billing/plan-change-rules.ts';
import { trialEnd } from '../../domain/periods/trial.ts';
import type { ChangePlanRequest, PendingChange, PlanTerms, SubscriptionStatus, SubscriptionWorkflowInput } from '../contract.ts';
import type { CarriedSubscriptionState, InvoiceReason, PendingClose, PeriodState } from './state.ts';

const iso = (ms: number | Date) => new Date(ms).toISOString();
const ms = (text: string) => new Date(text).getTime();

export const toPeriodState = (p: CyclePeriod): PeriodState => ({
  kind: p.kind,
  start: iso(p.start),
  end: iso(p.end),
  anchor: iso(p.anchor),
  serviceFrom: iso(p.serviceFrom),
});

export const toCyclePeriod = (p: PeriodState): CyclePeriod => ({
  kind: p.kind,
  start: new Date(p.start),
  end: new Date(p.end),
  anchor: new Date(p.anchor),
  serviceFrom: new Date(p.serviceFrom),
});

/** The first run's state. `timeZone` (absent: UTC) is the zone the periods follow for good; the run decides it. */
export function initialState(input: SubscriptionWorkflowInput, timeZone?: string): CarriedSubscriptionState {
  const first = firstCyclePeriod({
    startAt: new Date(input.startAt),
    billingAnchor: new Date(input.billingAnchor),
    terms: input.plan,
    timeZone,
  });
  return {
    ...(timeZone ? { timeZone } : {}),
    state: first.kind === 'trial' ? 'trialing' : 'active',
    period: toPeriodState(first),
    segments: [{ from: iso(first.serviceFrom), plan: input.plan }],
    pendingPlan: null,
    cancelAtPeriodEnd: false,
    closes: [],
    lastInvoice: null,
    uncollectibleInvoiceIds: [],
    canceledAt: null,
    statusSeq: 0,
  };
}

/** The plan in force now: the last part's. */
export const currentPlan = (s: CarriedSubscriptionState): PlanTerms => s.segments[s.segments.length - 1]!.plan;

const sameSchedule = (a: PlanTerms, b: PlanTerms) => a.interval === b.interval && a.intervalCount === b.intervalCount;

/**
 * When the current period has ended at `now`: queue its invoice (paid periods only; a trial is
 * free), due after the plan's grace period, and move to the next period, applying a scheduled
 * plan change or cancellation. Returns false when the period has not ended.
 */
export function rollIfEnded(s: CarriedSubscriptionState, now: number, newInvoiceId: () => string): boolean {
  const period = s.period;
  if (!period || now < ms(period.end)) return false;
  const plan = currentPlan(s);
  if (period.kind === 'paid') {
    s.closes.push({
      invoiceId: newInvoiceId(),
      reason: 'period_end',
      period: { start: period.start, end: period.end },
      serviceFrom: period.serviceFrom,
      serviceEnd: period.end,
      segments: s.segments,
      readyAt: iso(ms(period.end) + plan.gracePeriodSeconds * 1000),
    });
  }
  if (s.cancelAtPeriodEnd) {
    s.period = null;
    s.state = 'canceled';
    s.canceledAt = period.end;
    s.cancelAtPeriodEnd = false;
    return true;
  }
  const next = s.pendingPlan ?? plan;
  // A plan with another interval starts a new schedule anchored at this boundary.
  const following = followingPeriod(toCyclePeriod(period), next, sameSchedule(next, plan) ? undefined : new Date(period.end), s.timeZone);
  s.period = toPeriodState(following);
  s.segments = [{ from: period.end, plan: next }];
  s.pendingPlan = null;
  if (s.state === 'trialing') s.state = 'active';
  return true;
}

/**
 * Closes the current paid period at `now` (invoice-now or an immediate cancellation): its invoice
 * covers [serviceFrom, now) and is due at once. A cancellation ends the subscription. Invoice-now
 * with `keepsPeriod` bills the period so far and keeps the period (its start, end and schedule):
 * what is not yet invoiced starts at `now`, and the period's own close bills it, rated
 * cumulatively with the part billed now. Without it (runs before that rule), invoice-now starts
 * the next period now and re-anchors the schedule there. Returns the queued close, or null when
 * there was nothing to invoice (a trial, or no time elapsed).
 */
export function closeNow(
  s: CarriedSubscriptionState,
  now: number,
  invoiceId: string,
  reason: Exclude<InvoiceReason, 'period_end'>,
  keepsPeriod = false,
): PendingClose | null {
  const period = s.period;
  if (!period) return null;
  let close: PendingClose | null = null;
  if (period.kind === 'paid' && now > ms(period.serviceFrom)) {
    close = {
      invoiceId,
      reason,
      period: { start: period.start, end: period.end },
      serviceFrom: period.serviceFrom,
      serviceEnd: iso(now),
      segments: s.segments,
      readyAt: iso(now),
    };
    s.closes.push(close);
  }
  if (reason === 'cancel') {
    s.period = null;
    s.state = 'canceled';
    s.canceledAt = iso(now);
    s.cancelAtPeriodEnd = false;
    s.pendingPlan = null;
  } else if (close && keepsPeriod) {
    s.period = { ...period, serviceFrom: iso(now) };
    s.segments = [{ from: iso(now), plan: currentPlan(s) }];
  } else if (close) {
    const plan = currentPlan(s);
    s.period = toPeriodState(followingPeriod(toCyclePeriod(period), plan, new Date(now), s.timeZone));
    s.segments = [{ from: iso(now), plan }];
  }
  return close;
}

/** Why a plan change is refused, or null when it is acceptable (the update's validator; the API's preview asks the same). */
export function changePlanProblem(s: CarriedSubscriptionState, req: ChangePlanRequest): string | null {
  const ended = !s.period || s.state === 'canceled';
  return planChangeProblem(
    ended ? { ended: true } : { ended: false, periodKind: s.period!.kind, current: currentPlan(s), hasPendingPlan: Boolean(s.pendingPlan) },
    req.plan,
    req.effective,
  );
}

/**
 * Applies an accepted plan change at `now`. period_end schedules it for the boundary. immediate
 * splits the current period at `now` (each part billed under its own plan, fixed fees prorated);
 * during a trial it simply replaces the plan.
 */
export function applyChangePlan(s: CarriedSubscriptionState, req: ChangePlanRequest, now: number): void {
  if (req.effective === 'period_end') {
    const plan = currentPlan(s);
    s.pendingPlan = req.plan.planId === plan.planId && req.plan.version === plan.version ? null : req.plan;
    return;
  }
  s.pendingPlan = null;
  if (s.period!.kind === 'trial') {
    s.segments = [{ from: s.segments[0]!.from, plan: req.plan }];
    return;
  }
  const segments = addPart(
    s.segments.map((x) => ({ from: new Date(x.from), plan: x.plan })),
    new Date(now),
    req.plan,
  );
  s.segments = segments.map((x) => ({ from: iso(x.from), plan: x.plan }));
}

export function cancelProblem(s: CarriedSubscriptionState, at: string): string | null {
  if (!s.period || s.state === 'canceled') return 'the subscription has already ended';
  if (at !== 'immediate' && at !== 'period_end') return 'at must be immediate or period_end';
  return null;
}

export function invoiceNowProblem(s: CarriedSubscriptionState, now: number): string | null {
  if (!s.period || s.state === 'canceled') return 'the subscription has ended';
  if (s.period.kind === 'trial') return 'the subscription is in its trial: there is nothing to invoice';
  if (now <= ms(s.period.serviceFrom)) return 'the current period has just started: there is nothing to invoice yet';
  return null;
}

/** True when the current period has ended at `now` (a roll is due). */
export const periodEnded = (s: CarriedSubscriptionState, now: number): boolean => s.period !== null && now >= ms(s.period.end);

/** The earliest instant something is due: the period's end or the first close's readyAt. */
export function nextWake(s: CarriedSubscriptionState): number | null {
  const times = [s.period ? ms(s.period.end) : null, s.closes[0] ? ms(s.closes[0].readyAt) : null].filter((t): t is number => t !== null);
  return times.length ? Math.min(...times) : null;
}

/** How many closes to process at `now`: every one up to the last that is ready (they go in order). */
export function dueCloses(s: CarriedSubscriptionState, now: number): number {
  let count = 0;
  s.closes.forEach((c, i) => {
    if (ms(c.readyAt) <= now) count = i + 1;
  });
  return count;
}

export function pendingChangeOf(s: CarriedSubscriptionState): PendingChange | null {
  if (!s.period) return null;
  if (s.cancelAtPeriodEnd) return { type: 'cancel', at: s.period.end };
  if (s.pendingPlan)
    return {
      type: 'change_plan',
      effective: 'period_end',
      planId: s.pendingPlan.planId,
      version: s.pendingPlan.version,
      code: s.pendingPlan.code,
      at: s.period.end,
    };
  return null;
}

/** When the next invoice is due to be issued: a queued close's readyAt, else the end of the first paid period ahead plus grace. */
export function nextInvoiceAt(s: CarriedSubscriptionState): string | null {
  if (s.closes[0]) return s.closes[0].readyAt;
  if (!s.period || (s.cancelAtPeriodEnd && s.period.kind === 'trial')) return null;
  const plan = s.pendingPlan && s.period.kind === 'trial' ? s.pendingPlan : currentPlan(s);
  const paid = s.period.kind === 'paid' ? toCyclePeriod(s.period) : followingPeriod(toCyclePeriod(s.period), plan, undefined, s.timeZone);
  return iso(paid.end.getTime() + currentPlan(s).gracePeriodSeconds * 1000);
}

export function statusOf(input: SubscriptionWorkflowInput, s: CarriedSubscriptionState): SubscriptionStatus {
  const plan = currentPlan(s);
  return {
    subscriptionId: input.subscriptionId,
    tenantId: input.tenantId,
    state: s.state,
    plan: { planId: plan.planId, version: plan.version, code: plan.code, name: plan.name },
    startAt: input.startAt,
    trialEnd: input.plan.trialDays > 0 ? iso(trialEnd(new Date(input.startAt), input.plan.trialDays, s.timeZone)) : null,
    currentPeriod: s.period ? { start: s.period.start, end: s.period.end } : null,
    parts: s.period ? s.segments.map((x) => ({ from: x.from, planId: x.plan.planId, version: x.plan.version, code: x.plan.code })) : [],
    nextInvoiceAt: nextInvoiceAt(s),
    lastInvoice: s.lastInvoice,
    pendingChange: pendingChangeOf(s),
    canceledAt: s.canceledAt,
    ...(s.billingFailures?.length ? { billingFailures: s.billingFailures } : {}),
  };
}

/**
 * Closes one run invoices before it continues as new. Each close adds a few dozen events to the
 * history (activities, a dunning child, webhooks); twelve keep a run far below Temporal's limits
 * (50 000 events, 50 MB) while a year of monthly periods still fits in one run.
 */
export const MAX_CLOSES_PER_RUN = 12;

/** How many of the `due` closes to invoice now, when this run has already invoiced `done` of at most `max`. */
export const closesToInvoice = (due: number, done: number, max: number): number => Math.max(0, Math.min(due, max - done));

/**
 * Moves every period that has ended at `now` through `rollIfEnded` and reports each roll, so a
 * request handled at (or after) a boundary acts on the period that is current, never on the one
 * that has just ended (whose window it would stretch past its end). Returns how many rolled.
 */
export function rollAllEnded(s: CarriedSubscriptionState, now: number, newInvoiceId: () => string, onRoll: () => void = () => {}): number {
  let rolls = 0;
  while (rollIfEnded(s, now, newInvoiceId)) {
    rolls += 1;
    onRoll();
  }
  return rolls;
}

/** The state as it will be once the ended periods have rolled, without changing `s` (for validators, which must not). */
export function afterRolls(s: CarriedSubscriptionState, now: number): CarriedSubscriptionState {
  if (!periodEnded(s, now)) return s;
  const copy: CarriedSubscriptionState = JSON.parse(JSON.stringify(s));
  rollAllEnded(copy, now, () => 'preview');
  return copy;
}
