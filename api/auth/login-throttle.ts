import type { DatabasePool } from 'slonik';
import { loginFailuresRepository } from '../../db/postgres/login-failures-repository.ts';
import { HttpProblem } from '../http/problem.ts';

// DESIGN §8: at most 10 failures per email per 15 minutes; a generous 100 per IP so one
// office (or one CI machine) is not locked out by its neighbours.
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL = 10;
export const MAX_FAILURES_PER_IP = 100;

/**
 * Kept in PostgreSQL, not in memory, so the limit holds across every API replica.
 */
export function createLoginThrottle(pg: DatabasePool) {
  return {
    async assertAllowed(email: string, ip: string): Promise<void> {
      const c = await loginFailuresRepository.countSince(pg, email, ip, LOGIN_WINDOW_SECONDS);
      const blockedBy =
        c.by_email >= MAX_FAILURES_PER_EMAIL ? c.oldest_email : c.by_ip >= MAX_FAILURES_PER_IP ? c.oldest_ip : null;
      if (!blockedBy) return;
      const retryAfter = Math.max(1, Math.ceil((blockedBy.getTime() + LOGIN_WINDOW_SECONDS * 1000 - Date.now()) / 1000));
      throw new HttpProblem(429, 'too many failed sign-in attempts; try again later', { headers: { 'Retry-After': String(retryAfter) } });
    },
    recordFailure: (email: string, ip: string) => loginFailuresRepository.record(pg, email, ip),
    async recordSuccess(email: string) {
      await loginFailuresRepository.clearForEmail(pg, email);
    },
  };
}
