import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usageLimitsRepository } from '../../db/postgres/usage-limits-repository.ts';
import { canonicalDecimal } from '../../domain/metering/index.ts';
import { raiseLimitExceeded } from '../limits/limits-service.ts';
import type { IngestWarning } from './ingest-service.ts';

export const LIMIT_EXCEEDED = 'limit_exceeded';

/**
 * Ingest's limit_exceeded warning: usage already happened, so ingest never refuses it, but says
 * when a tenant's usage in a limit's current window is past the limit (and raises the soft
 * limit's alert, once per window). One indexed query per request, read fresh (a limit set a
 * moment ago warns at once). Advisory:
 * a failed look-up leaves the warning out and never fails the accepted request.
 */
export function createLimitWarnings(pg: DatabasePool) {
  return async (tenantIds: readonly string[], eventTypes: readonly string[]): Promise<IngestWarning[]> => {
    try {
      const over = await withOperator(pg, (tx) => usageLimitsRepository.exceeded(tx, tenantIds, eventTypes));
      for (const o of over.filter((x) => x.mode === 'soft'))
        await raiseLimitExceeded(pg, o.tenant_id, o.meter, {
          window_start: o.window_start,
          window_end: o.window_end,
          limit_value: o.limit_value,
          total: o.used,
        });
      return over.map((o) => ({
        type: LIMIT_EXCEEDED,
        message: `usage of meter ${o.meter} in the window from ${o.window_start.toISOString()} is ${canonicalDecimal(o.used)}, past its ${o.mode} limit of ${canonicalDecimal(o.limit_value)}: the events are stored and count`,
      }));
    } catch {
      return [];
    }
  };
}

export type LimitWarnings = ReturnType<typeof createLimitWarnings>;
