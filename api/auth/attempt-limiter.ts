import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { authAttemptsRepository, type AttemptKey } from '../../db/postgres/auth-attempts-repository.ts';
import { HttpProblem } from '../http/problem.ts';

/** At most `max` attempts per `key` of `bucket` within any `windowSeconds`. */
export type AttemptLimit = AttemptKey & { max: number };

/**
 * Sliding-window limits kept in PostgreSQL, so they hold across every API replica.
 *
 * Checking a limit and counting the attempt are one step, taken under a lock on each key: of
 * N concurrent attempts against a limit of M, exactly min(N, M) get through and the rest are
 * refused. A check followed by a separate insert would let all N through when they arrive
 * together, which is what a scripted guesser does.
 */
export function createAttemptLimiter(pg: DatabasePool) {
  return {
    /**
     * Counts one attempt against every limit, or none when one of them is already full:
     * then it throws 429 with Retry-After (seconds until the oldest counted attempt of the
     * full key leaves its window). Returns the attempt's id, for `forgive`.
     */
    async take(limits: readonly AttemptLimit[], refusal: string): Promise<string> {
      const attempt = randomUUID();
      const retryAfter = await pg.transaction(async (tx) => {
        await authAttemptsRepository.lock(tx, limits);
        await authAttemptsRepository.prune(tx, limits);
        const used = await authAttemptsRepository.usage(tx, limits);
        const full = limits.flatMap((l, i) => (used[i]!.n >= l.max ? [used[i]!.retry_after ?? l.windowSeconds] : []));
        if (full.length > 0) return Math.max(1, ...full);
        await authAttemptsRepository.record(tx, attempt, limits);
        return 0;
      });
      if (retryAfter > 0) throw new HttpProblem(429, refusal, { headers: { 'Retry-After': String(retryAfter) } });
      return attempt;
    },

    /** Takes an attempt back from every limit it counted against. */
    async forgive(attempt: string): Promise<void> {
      await authAttemptsRepository.deleteAttempt(pg, attempt);
    },

    /** Forgets every attempt counted against one key. */
    async clear(bucket: string, key: string): Promise<void> {
      await authAttemptsRepository.clearKey(pg, bucket, key);
    },
  };
}

export type AttemptLimiter = ReturnType<typeof createAttemptLimiter>;
