import { Decimal } from '../money/index.ts';
import { matchesFilters, meteredNumber, valueAt, type Meter } from '../metering/index.ts';

const ONE = new Decimal(1);

/**
 * What one (first-delivered) event adds to an additive meter, exactly as reads count it
 * (domain/metering/aggregate.ts): nothing when its type or filters do not match; 1 for `count`;
 * its metered number for `sum`, nothing when the value is not one (or negative for a meter that
 * does not allow negatives). Null means "adds nothing".
 */
export function limitedValueOf(meter: Meter, eventType: string, data: unknown): Decimal | null {
  if (meter.eventType !== eventType || !matchesFilters(meter, data)) return null;
  if (meter.aggregation === 'count') return ONE;
  if (meter.aggregation !== 'sum' || meter.valueProperty === undefined) return null;
  return meteredNumber(valueAt(data, meter.valueProperty), { allowNegative: meter.allowNegative === true });
}
