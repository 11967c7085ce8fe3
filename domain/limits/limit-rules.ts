import type { Aggregation } from '../metering/index.ts';

export const LIMIT_WINDOWS = ['billing_period', 'day', 'month'] as const;
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];

/**
 * hard: refuse what would take usage + open reservations past the limit; soft: authorize, say
 * `overLimit` and raise one usage_limit_exceeded alert per window; credit: authorize only while
 * the tenant's available credit covers the priced quantity (api/limits/limits-service.ts, authorizeOnCredit).
 */
export const LIMIT_MODES = ['hard', 'soft', 'credit'] as const;
export type LimitMode = (typeof LIMIT_MODES)[number];

/**
 * Only meters whose usage is a running total can carry a limit: a new event adds to it and never
 * changes what earlier events counted. `max`, `latest` and `unique_count` are not additive (an
 * event's share of them depends on every other event), so no counter can follow them exactly.
 */
export const ADDITIVE_AGGREGATIONS: readonly Aggregation[] = ['sum', 'count'];
export const isAdditive = (aggregation: Aggregation) => ADDITIVE_AGGREGATIONS.includes(aggregation);

/**
 * A limit or a quantity: at most 26 integer and 12 fractional digits, the values storage holds
 * (domain/metering/metered-number.ts), never negative.
 */
export const LIMIT_DECIMAL = /^[0-9]{1,26}(\.[0-9]{1,12})?$/;
export const POSITIVE_DECIMAL = /^(?=.*[1-9])[0-9]{1,26}(\.[0-9]{1,12})?$/;

/** Who set a limit; a customer's limits are their own to delete, an admin's are not. */
export type LimitOwner = 'admin' | 'customer';

export const mayDelete = (limitOwner: LimitOwner, caller: LimitOwner) => caller === 'admin' || limitOwner === 'customer';
