export {
  AGGREGATIONS,
  NUMERIC_AGGREGATIONS,
  MAX_FILTERS,
  MAX_FILTER_VALUES,
  MAX_GROUP_BY,
  eventTypeSchema,
  meterCodeSchema,
  meterInputSchema,
  meterSchema,
  parseMeter,
} from './meter-schema.ts';
export type { Aggregation, Meter, MeterInput } from './meter-schema.ts';
export { MAX_PATH_DEPTH, pathSegments, propertyPathSchema, propertyText, valueAt } from './property-path.ts';
export { numericText, parseJsonLossless } from './lossless-json.ts';
export { parseRfc3339 } from './event-time.ts';
export {
  MAX_EVENT_ID_LENGTH,
  MAX_FUTURE_MS,
  MAX_SOURCE_LENGTH,
  MAX_SUBJECT_LENGTH,
  MAX_TYPE_LENGTH,
  MIN_EVENT_TIME_MS,
  validateEvent,
} from './event-validation.ts';
export type { EventFieldError, EventShape, UsageEvent } from './event-validation.ts';
export {
  MAX_INGEST_VALUE_INTEGER_DIGITS,
  MAX_VALUE_FRACTION_DIGITS,
  MAX_VALUE_INTEGER_DIGITS,
  METERED_NUMBER,
  NEGATIVE_NUMBER,
  canonicalDecimal,
  decimalText,
  meteredNumber,
  meteredNumberProblem,
} from './metered-number.ts';
export { matchesFilters, meteredValueErrors } from './meter-matching.ts';
export { aggregateEvents, aggregateUsage, firstDeliveries, meteredEvents } from './aggregate.ts';
export type { AggregateResult, Delivery, GroupKey, UsageWindow } from './aggregate.ts';
export { GRANULARITIES, granularityMs } from './granularity.ts';
export type { Granularity } from './granularity.ts';
