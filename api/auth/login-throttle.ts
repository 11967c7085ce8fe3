import type { AttemptLimiter } from './attempt-limiter.ts';
import { addressKey } from './address-key.ts';

// At most 10 failures per email per 15 minutes; a generous 100 per address so one office
// (or one CI machine) is not locked out by its neighbours.
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL = 10;
export const MAX_FAILURES_PER_IP = 100;

const EMAIL_BUCKET = 'login-email';

/**
 * Failed sign-ins, per email and per client address. An attempt is counted as a failure
 * before its password is checked, and taken back when it succeeds: so concurrent guesses
 * queue for the same ten slots instead of all passing an empty counter at once. An attempt
 * that dies between the two steps stays counted, which errs on the safe side.
 */
export function createLoginThrottle(limiter: AttemptLimiter) {
  return {
    /** Counts the attempt, or throws 429 with Retry-After when the email or the address has no failures left. */
    begin: (email: string, ip: string) =>
      limiter.take(
        [
          { bucket: EMAIL_BUCKET, key: email, max: MAX_FAILURES_PER_EMAIL, windowSeconds: LOGIN_WINDOW_SECONDS },
          { bucket: 'login-ip', key: addressKey(ip), max: MAX_FAILURES_PER_IP, windowSeconds: LOGIN_WINDOW_SECONDS },
        ],
        'too many failed sign-in attempts; try again later',
      ),
    /** A success is no failure, and it also clears the email's earlier failures (not the address's). */
    async succeeded(attempt: string, email: string): Promise<void> {
      await limiter.forgive(attempt);
      await limiter.clear(EMAIL_BUCKET, email);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
