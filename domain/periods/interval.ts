import { z } from 'zod';

import { INTERVALS, MAX_INTERVAL_COUNT } from './intervals.ts';

export { INTERVALS, MAX_INTERVAL_COUNT };
export type { Interval } from './intervals.ts';

export const intervalSchema = z.enum(INTERVALS, { error: `must be one of ${INTERVALS.join(', ')}` });

export const intervalCountSchema = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_INTERVAL_COUNT, { error: `must be at most ${MAX_INTERVAL_COUNT}` });
