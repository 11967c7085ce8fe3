import type { AttemptLimiter } from './attempt-limiter.ts';
import { addressKey } from './address-key.ts';

export const SIGNUP_WINDOW_SECONDS = 60 * 60;
export const MAX_SIGNUPS_PER_IP = 20;

/**
 * Self-service sign-ups per client address: each creates a tenant, so an unthrottled script
 * could fill the database. Every sign-up that passed validation counts, a refused duplicate
 * email included, which also bounds how fast one address can probe for registered emails.
 */
export function createSignupThrottle(limiter: AttemptLimiter) {
  return {
    /** Counts the sign-up, or throws 429 with Retry-After once the address has used its 20 this hour. */
    admit: (ip: string) =>
      limiter.take(
        [{ bucket: 'signup-ip', key: addressKey(ip), max: MAX_SIGNUPS_PER_IP, windowSeconds: SIGNUP_WINDOW_SECONDS }],
        'too many sign-ups from this address; try again later',
      ),
  };
}

export type SignupThrottle = ReturnType<typeof createSignupThrottle>;
