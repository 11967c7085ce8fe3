import { z } from 'zod';

export const INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

/** Upper bound on intervalCount: generous for real plans, and keeps period arithmetic in range. */
export const MAX_INTERVAL_COUNT = 1000;

export const intervalSchema = z.enum(INTERVALS, { error: `must be one of ${INTERVALS.join(', ')}` });

export const intervalCountSchema = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_INTERVAL_COUNT, { error: `must be at most ${MAX_INTERVAL_COUNT}` });
