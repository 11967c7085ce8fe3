import type { DatabasePool } from 'slonik';
import { usageLimitsRepository, type AuthorizeInput, type AuthorizeOutcome } from '../../db/postgres/usage-limits-repository.ts';

type Waiting = { input: AuthorizeInput; resolve: (o: AuthorizeOutcome) => void; reject: (e: unknown) => void };

/**
 * Group commit for authorizations. Every authorization of one (tenant, meter) locks the same
 * counter rows, so they pass one at a time, each with its own commit. Here, while one call for a
 * (tenant, meter) is in flight, the authorizations that arrive meanwhile wait, and then go
 * together in one call (at most `maxBatch`), decided in their order of arrival. A lone
 * authorization goes at once, so nothing waits that would not have waited on the lock anyway.
 * The guarantee stays PostgreSQL's (the counters' locks), so replicas batch on their own
 * safely. If a batch fails, each of its authorizations is tried alone, so one cannot fail
 * another.
 */
export function createAuthorizeBatcher(pg: DatabasePool, maxBatch = 64) {
  const queues = new Map<string, Waiting[]>();

  async function drain(key: string, queue: Waiting[]) {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      const { tenantId, meter } = batch[0]!.input;
      try {
        const outcomes = await usageLimitsRepository.authorizeBatch(
          pg,
          tenantId,
          meter,
          batch.map((w) => w.input),
        );
        batch.forEach((w, i) => w.resolve(outcomes[i]!));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else
          await Promise.all(
            batch.map((w) => usageLimitsRepository.authorizeBatch(pg, tenantId, meter, [w.input]).then(([o]) => w.resolve(o!), w.reject)),
          );
      }
    }
    queues.delete(key);
  }

  return function authorize(input: AuthorizeInput): Promise<AuthorizeOutcome> {
    return new Promise((resolve, reject) => {
      const key = `${input.tenantId}\u0000${input.meter}`;
      const queue = queues.get(key);
      if (queue) return void queue.push({ input, resolve, reject });
      const fresh: Waiting[] = [{ input, resolve, reject }];
      queues.set(key, fresh);
      void drain(key, fresh);
    });
  };
}
