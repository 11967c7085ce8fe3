import { aggregateUsage, matchesFilters, meteredNumber, numericText, propertyText, valueAt, type Meter } from '../metering/index.ts';
import { beyondLateUsageHorizon, type LateUsageBiller } from './late-usage-horizon.ts';

/**
 * "Why wasn't this event billed?", as a pure function of what storage holds: the event's
 * deliveries, the meters, the tenant's subscriptions and the invoice lines that could hold it.
 * It counts the event with domain/metering's own reference aggregation (the rule the readers
 * are tested against), so an explanation cannot disagree with what billing read.
 *
 * Reason codes (the rules are in api/README.md, *Explain one event*):
 * - no_meter: no meter reads the event's type.
 * - filtered_out: a meter reads its type, but a filter refuses it.
 * - value_not_numeric: the meter reads a value the event does not carry as a metered number
 *   (missing, not a number, too many digits, or negative for a meter that refuses negatives).
 * - duplicate_of: a delivery that lost to the first one (named); it counts for nothing.
 * - outside_any_subscription: no subscription charging the meter was live and past its trial
 *   at the event's time.
 * - after_final_invoice: the line that billed its window was rated before the event arrived,
 *   and no later invoice (a late-usage adjustment) has billed it since.
 * - late_beyond_horizon: as after_final_invoice, but every window it falls in ended more than
 *   its plan's lateUsageDays ago, so no invoice will ever read it again.
 */
export const EXPLAIN_REASONS = [
  'no_meter',
  'filtered_out',
  'value_not_numeric',
  'duplicate_of',
  'outside_any_subscription',
  'after_final_invoice',
  'late_beyond_horizon',
] as const;
export type ExplainReason = (typeof EXPLAIN_REASONS)[number];

export type StoredDelivery = {
  source: string;
  id: string;
  type: string;
  timeMs: number;
  subject: string;
  /** The acceptance stamp, microseconds since the epoch: the first one wins. */
  acceptedAtUs: bigint;
  data: Record<string, unknown>;
};

export type ExplainSubscription = {
  id: string;
  status: string;
  startMs: number;
  /** The end of its trial (events before it are not billed), or null. */
  trialEndMs: number | null;
  canceledAtMs: number | null;
  /** Codes of the meters it charges (its plan version's, and those its invoices billed). */
  meters: readonly string[];
  /** Its late-usage horizon now (see late-usage-horizon.ts). */
  horizonFromMs: number;
  currentPeriod: { startMs: number; endMs: number } | null;
};

export type ExplainLine = {
  subscriptionId: string;
  invoiceId: string;
  invoiceNumber: string | null;
  invoiceStatus: string;
  invoiceReason: string;
  /** When the invoice (and its lines) was written: the usage it rated was read just before. */
  ratedAtMs: number;
  periodStartMs: number;
  periodEndMs: number;
  lineId: string;
  position: number;
  type: string;
  meter: string;
  fromMs: number;
  toMs: number;
};

export type Window = { startMs: number; endMs: number };

export type SubscriptionOutcome =
  | { subscriptionId: string; status: 'billed'; period: Window; line: ExplainLine }
  | { subscriptionId: string; status: 'pending'; period: Window | null; detail: string }
  | {
      subscriptionId: string;
      status: 'not_billed';
      reason: 'after_final_invoice' | 'late_beyond_horizon';
      period: Window;
      line: ExplainLine;
      detail: string;
    };

export type MeterOutcome = {
  meter: string;
  aggregation: Meter['aggregation'];
  /** True when the meter counts the event (type, filters and value all fit). */
  counts: boolean;
  /** What the event adds: "1" for count, its metered number for sum/max/latest, its text for unique_count. */
  value: string | null;
  /** billed: on at least one subscription; pending: its window is not invoiced yet; else not_billed. */
  status: 'billed' | 'pending' | 'not_billed';
  reason: Exclude<ExplainReason, 'no_meter' | 'duplicate_of'> | null;
  detail: string;
  subscriptions: SubscriptionOutcome[];
};

export type DeliveryOutcome = StoredDelivery & {
  won: boolean;
  reason: 'duplicate_of' | null;
  duplicateOf: { source: string; id: string; acceptedAtUs: bigint } | null;
};

export type EventExplanation = {
  source: string;
  id: string;
  deliveries: DeliveryOutcome[];
  winner: StoredDelivery;
  /** Event-level reason: no_meter when no meter reads its type. */
  reason: 'no_meter' | null;
  meters: MeterOutcome[];
};

const iso = (ms: number) => new Date(ms).toISOString();
const holds = (w: { fromMs: number; toMs: number }, t: number) => t >= w.fromMs && t < w.toMs;

/** Why a value a numeric aggregation reads is skipped, or null when it counts. */
function valueProblem(meter: Meter, data: unknown): string | null {
  if (meter.aggregation === 'count') return null;
  const path = meter.valueProperty!;
  const value = valueAt(data, path);
  if (meter.aggregation === 'unique_count') return propertyText(value) === null ? `has no ${path} (unique_count skips it)` : null;
  if (meteredNumber(value, { allowNegative: meter.allowNegative === true }) !== null) return null;
  if (value === undefined || value === null) return `has no ${path}`;
  const text = numericText(value);
  if (text !== null && meteredNumber(value, { allowNegative: true }) !== null)
    return `${path} is negative (${text}) and meter ${meter.code} does not allow negatives`;
  return `${path} is not a metered number (at most 26 integer and 12 fractional digits): ${JSON.stringify(value)}`.slice(0, 300);
}

function filterProblem(meter: Meter, data: unknown): string {
  for (const [path, allowed] of Object.entries(meter.filters)) {
    const text = propertyText(valueAt(data, path));
    if (text === null || !allowed.includes(text))
      return `${path} is ${text === null ? 'missing' : JSON.stringify(text)}; meter ${meter.code} counts only ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  }
  return `meter ${meter.code} does not count it`;
}

/** The counted value: the reference aggregation over this one event, in a window that holds it. */
function countedValue(meter: Meter, e: StoredDelivery): string {
  if (meter.aggregation === 'unique_count') return propertyText(valueAt(e.data, meter.valueProperty!))!;
  return aggregateUsage(meter, [{ id: e.id, type: e.type, timeMs: e.timeMs, ingestedAt: e.acceptedAtUs, data: e.data }], {
    fromMs: e.timeMs,
    toMs: e.timeMs + 1,
  }).value;
}

function subscriptionOutcome(meter: Meter, e: StoredDelivery, s: ExplainSubscription, lines: readonly ExplainLine[]): SubscriptionOutcome {
  const acceptedMs = Number(e.acceptedAtUs / 1000n);
  const covering = lines
    .filter((l) => l.subscriptionId === s.id && l.meter === meter.code && holds(l, e.timeMs))
    .sort((a, b) => a.ratedAtMs - b.ratedAtMs || a.position - b.position);
  // A line counted the event when it was rated after the event was stored.
  const billed = covering.find((l) => l.ratedAtMs >= acceptedMs);
  if (billed)
    return { subscriptionId: s.id, status: 'billed', period: { startMs: billed.periodStartMs, endMs: billed.periodEndMs }, line: billed };
  const missed = covering.at(-1);
  if (!missed) {
    const period = s.currentPeriod && e.timeMs >= s.currentPeriod.startMs && e.timeMs < s.currentPeriod.endMs ? s.currentPeriod : null;
    return {
      subscriptionId: s.id,
      status: 'pending',
      period,
      detail: `no invoice of subscription ${s.id} has billed ${iso(e.timeMs)} yet; the close of its period will`,
    };
  }
  const period = { startMs: missed.periodStartMs, endMs: missed.periodEndMs };
  const biller: LateUsageBiller = {
    subscriptionId: s.id,
    eventTypes: [e.type],
    start: s.startMs,
    end: s.canceledAtMs,
    horizonFrom: s.horizonFromMs,
    canceled: s.status === 'canceled',
  };
  const rated = `line ${missed.position} of invoice ${missed.invoiceNumber ?? missed.invoiceId} rated [${iso(missed.fromMs)}, ${iso(missed.toMs)}) at ${iso(missed.ratedAtMs)}, before the event arrived at ${iso(acceptedMs)}`;
  if (beyondLateUsageHorizon([biller], e.type, e.timeMs)) {
    return {
      subscriptionId: s.id,
      status: 'not_billed',
      reason: 'late_beyond_horizon',
      period,
      line: missed,
      detail: `${rated}; that window ended more than the plan's lateUsageDays ago, so no invoice reads it again`,
    };
  }
  return {
    subscriptionId: s.id,
    status: 'not_billed',
    reason: 'after_final_invoice',
    period,
    line: missed,
    detail: `${rated}; no late-usage adjustment has billed it since (a later close of the subscription within its horizon will)`,
  };
}

function meterOutcome(
  meter: Meter,
  e: StoredDelivery,
  subscriptions: readonly ExplainSubscription[],
  lines: readonly ExplainLine[],
): MeterOutcome {
  const base = { meter: meter.code, aggregation: meter.aggregation };
  if (!matchesFilters(meter, e.data))
    return {
      ...base,
      counts: false,
      value: null,
      status: 'not_billed',
      reason: 'filtered_out',
      detail: filterProblem(meter, e.data),
      subscriptions: [],
    };
  const problem = valueProblem(meter, e.data);
  if (problem)
    return { ...base, counts: false, value: null, status: 'not_billed', reason: 'value_not_numeric', detail: problem, subscriptions: [] };
  const value = countedValue(meter, e);
  const charging = subscriptions.filter((s) => s.meters.includes(meter.code));
  const living = charging.filter(
    (s) => e.timeMs >= (s.trialEndMs ?? s.startMs) && e.timeMs >= s.startMs && (s.canceledAtMs === null || e.timeMs < s.canceledAtMs),
  );
  if (living.length === 0) {
    const why =
      charging.length === 0
        ? `no subscription of the tenant charges meter ${meter.code}`
        : `no subscription charging meter ${meter.code} was live (and past its trial) at ${iso(e.timeMs)}`;
    return { ...base, counts: true, value, status: 'not_billed', reason: 'outside_any_subscription', detail: why, subscriptions: [] };
  }
  const outcomes = living.map((s) => subscriptionOutcome(meter, e, s, lines));
  const billed = outcomes.filter((o) => o.status === 'billed');
  if (billed.length)
    return {
      ...base,
      counts: true,
      value,
      status: 'billed',
      reason: null,
      detail: `billed on ${billed.map((o) => `line ${o.line.position} of invoice ${o.line.invoiceNumber ?? o.line.invoiceId}`).join(', ')}`,
      subscriptions: outcomes,
    };
  const pending = outcomes.find((o) => o.status === 'pending');
  if (pending) return { ...base, counts: true, value, status: 'pending', reason: null, detail: pending.detail, subscriptions: outcomes };
  const missed = outcomes as Extract<SubscriptionOutcome, { status: 'not_billed' }>[];
  const reason = missed.every((o) => o.reason === 'late_beyond_horizon') ? 'late_beyond_horizon' : 'after_final_invoice';
  return {
    ...base,
    counts: true,
    value,
    status: 'not_billed',
    reason,
    detail: missed.find((o) => o.reason === reason)!.detail,
    subscriptions: outcomes,
  };
}

/**
 * One event's explanation: `event` is its stored first delivery (storage decided, at ingest, that
 * it won), `redeliveries` the later deliveries recorded against it; with the meters, the
 * tenant's subscriptions and the invoice lines of the meters that read its type.
 */
export function explainEvent(input: {
  event: StoredDelivery;
  redeliveries: readonly StoredDelivery[];
  meters: readonly Meter[];
  subscriptions: readonly ExplainSubscription[];
  lines: readonly ExplainLine[];
}): EventExplanation {
  const winner = input.event;
  const named = { source: winner.source, id: winner.id, acceptedAtUs: winner.acceptedAtUs };
  const later = [...input.redeliveries].sort((a, b) => (a.acceptedAtUs < b.acceptedAtUs ? -1 : a.acceptedAtUs > b.acceptedAtUs ? 1 : 0));
  const deliveries: DeliveryOutcome[] = [
    { ...winner, won: true, reason: null, duplicateOf: null },
    ...later.map((d): DeliveryOutcome => ({ ...d, won: false, reason: 'duplicate_of', duplicateOf: named })),
  ];
  const reading = input.meters.filter((m) => m.eventType === winner.type);
  return {
    source: winner.source,
    id: winner.id,
    deliveries,
    winner,
    reason: reading.length === 0 ? 'no_meter' : null,
    meters: reading.map((m) => meterOutcome(m, winner, input.subscriptions, input.lines)),
  };
}
