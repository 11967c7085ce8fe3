import type { Meter } from './meter-schema.ts';
import { propertyText, valueAt } from './property-path.ts';
import { meteredNumberProblem } from './metered-number.ts';
import type { EventFieldError, UsageEvent } from './event-validation.ts';

/** True when the event's data passes every filter of the meter (each a list of allowed texts). */
export function matchesFilters(meter: Pick<Meter, 'filters'>, data: unknown): boolean {
  for (const [path, allowed] of Object.entries(meter.filters)) {
    const text = propertyText(valueAt(data, path));
    if (text === null || !allowed.includes(text)) return false;
  }
  return true;
}

/**
 * Checks that an event carries what every meter that would count it reads. An event of a
 * metered type without its value ("accepted, billed zero") is refused instead of silently
 * counting as nothing. A negative value is refused unless every meter that counts it allows
 * negatives: one that does not would otherwise skip it at read time, and the sender would
 * believe a correction was billed. Returns one error per missing or malformed property.
 */
export function meteredValueErrors(event: UsageEvent, index: number, meters: readonly Meter[]): EventFieldError[] {
  const errors: EventFieldError[] = [];
  const seen = new Set<string>();
  for (const meter of meters) {
    if (meter.eventType !== event.type || meter.valueProperty === undefined || seen.has(meter.valueProperty)) continue;
    if (!matchesFilters(meter, event.data)) continue;
    const value = valueAt(event.data, meter.valueProperty);
    let problem: string | null;
    if (value === undefined || value === null) problem = `is required by meter ${meter.code} (${meter.aggregation})`;
    else if (meter.aggregation === 'unique_count') {
      const scalar = typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';
      problem = scalar ? null : `must be a string, number or boolean (meter ${meter.code}, unique_count)`;
    } else {
      const p = meteredNumberProblem(value, { allowNegative: meter.allowNegative === true });
      problem = p && `${p} (meter ${meter.code}, ${meter.aggregation})`;
    }
    if (problem) {
      seen.add(meter.valueProperty);
      errors.push({ index, field: `events[${index}].data.${meter.valueProperty}`, message: problem });
    }
  }
  return errors;
}
