export { prorate, prorateForPart } from './prorate.ts';
export { sideOfChange, splitPeriodAt } from './split.ts';
export type { ChangeSide, SplitPeriod } from './split.ts';
