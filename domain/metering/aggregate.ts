import { Decimal } from '../money/index.ts';
import type { Aggregation, Meter } from './meter-schema.ts';
import { propertyText, valueAt } from './property-path.ts';
import { decimalText, meteredNumber } from './metered-number.ts';
import { matchesFilters } from './meter-matching.ts';

/**
 * The meaning of every aggregation, as a pure reference implementation over deliveries.
 * The ClickHouse reader computes the same thing in SQL; the reader's integration tests
 * compare the two on the same events, so this file is where a rule is changed first.
 *
 * Rules:
 * - Deduplication: the first accepted delivery of an event id (lowest `ingestedAt`) is the
 *   event; later deliveries are ignored whatever their time, type or data say.
 * - An event counts for a meter when its type is the meter's event type, its time is in
 *   the half-open window [from, to), and it passes every filter.
 * - count: the number of such events.
 * - sum / max: over the events whose value is a metered number; others are skipped, and so
 *   are negative values unless the meter allows negatives (so a meter that does not can never
 *   go down, whenever the value was stored).
 * - unique_count: the number of distinct texts (see propertyText) of the value; events
 *   without the property are skipped.
 * - latest: the value of the event with the greatest time (ties: greatest id) among the
 *   events that have a metered number (the same rule for negatives).
 * - With no qualifying event every aggregation is "0"; `events` tells zero from nothing.
 */
export type Delivery = {
  id: string;
  type: string;
  timeMs: number;
  /** Acceptance order: unique and increasing per accepted delivery. */
  ingestedAt: bigint;
  data: Record<string, unknown>;
};

export type UsageWindow = { fromMs: number; toMs: number };
export type GroupKey = Record<string, string | null>;
export type AggregateResult = { value: string; events: number; groups?: { key: GroupKey; value: string; events: number }[] };

/** The first delivery of each event id, in no particular order. */
export function firstDeliveries<D extends Pick<Delivery, 'id' | 'ingestedAt'>>(deliveries: readonly D[]): D[] {
  const first = new Map<string, D>();
  for (const d of deliveries) {
    const seen = first.get(d.id);
    if (!seen || d.ingestedAt < seen.ingestedAt) first.set(d.id, d);
  }
  return [...first.values()];
}

/** The events a meter counts in a window, after deduplication. */
export function meteredEvents(meter: Meter, deliveries: readonly Delivery[], window: UsageWindow): Delivery[] {
  return firstDeliveries(deliveries).filter(
    (e) => e.type === meter.eventType && e.timeMs >= window.fromMs && e.timeMs < window.toMs && matchesFilters(meter, e.data),
  );
}

export function aggregateEvents(
  aggregation: Aggregation,
  valueProperty: string | undefined,
  events: readonly Delivery[],
  allowNegative = false,
): string {
  if (aggregation === 'count') return String(events.length);
  const path = valueProperty!;
  if (aggregation === 'unique_count') {
    const texts = new Set<string>();
    for (const e of events) {
      const t = propertyText(valueAt(e.data, path));
      if (t !== null) texts.add(t);
    }
    return String(texts.size);
  }
  let result: Decimal | null = null;
  let latestAt: { timeMs: number; id: string } | null = null;
  for (const e of events) {
    const v = meteredNumber(valueAt(e.data, path), { allowNegative });
    if (v === null) continue;
    if (aggregation === 'sum') result = (result ?? new Decimal(0)).plus(v);
    else if (aggregation === 'max') result = result === null || v.gt(result) ? v : result;
    else if (latestAt === null || e.timeMs > latestAt.timeMs || (e.timeMs === latestAt.timeMs && e.id > latestAt.id)) {
      latestAt = { timeMs: e.timeMs, id: e.id };
      result = v;
    }
  }
  return result === null ? '0' : decimalText(result);
}

/** A meter's usage in a window, optionally broken down by some of its groupBy properties. */
export function aggregateUsage(
  meter: Meter,
  deliveries: readonly Delivery[],
  window: UsageWindow,
  groupBy: readonly string[] = [],
): AggregateResult {
  const events = meteredEvents(meter, deliveries, window);
  const result: AggregateResult = {
    value: aggregateEvents(meter.aggregation, meter.valueProperty, events, meter.allowNegative),
    events: events.length,
  };
  if (groupBy.length) {
    const groups = new Map<string, { key: GroupKey; events: Delivery[] }>();
    for (const e of events) {
      const key = Object.fromEntries(groupBy.map((p) => [p, propertyText(valueAt(e.data, p))])) as GroupKey;
      const id = JSON.stringify(groupBy.map((p) => key[p]));
      const g = groups.get(id) ?? groups.set(id, { key, events: [] }).get(id)!;
      g.events.push(e);
    }
    result.groups = [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => ({
        key: g.key,
        value: aggregateEvents(meter.aggregation, meter.valueProperty, g.events, meter.allowNegative),
        events: g.events.length,
      }));
  }
  return result;
}
