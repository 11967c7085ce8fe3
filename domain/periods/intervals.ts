// The billing intervals as plain values, without their schemas: the workflow bundle imports these
// (through the period arithmetic), and every workflow run evaluates what its bundle imports.
export const INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

/** Upper bound on intervalCount: generous for real plans, and keeps period arithmetic in range. */
export const MAX_INTERVAL_COUNT = 1000;
