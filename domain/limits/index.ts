export {
  ADDITIVE_AGGREGATIONS,
  LIMIT_DECIMAL,
  LIMIT_MODES,
  LIMIT_WINDOWS,
  POSITIVE_DECIMAL,
  isAdditive,
  mayDelete,
} from './limit-rules.ts';
export type { LimitMode, LimitOwner, LimitWindow } from './limit-rules.ts';
export { limitWindowAt } from './window.ts';
export type { LimitWindowSpan } from './window.ts';
export { limitedValueOf } from './event-value.ts';
