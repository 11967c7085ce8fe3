// Dunning's decisions as plain functions of its progress and an instant (unit-tested). The
// workflow waits, calls activities and applies them. No I/O, no clock: every instant is passed in.

/** Days after dunning starts at which it tries to collect, unless the subscription names its own. */
export const DEFAULT_DUNNING_SCHEDULE_DAYS = [0, 3, 5, 7] as const;
