/**
 * How long to wait before the next attempt of a batch. Two sources, never less than either:
 * the server's Retry-After (429 and 503 carry one), and exponential backoff with jitter, so a
 * fleet of clients that failed together does not come back together.
 */

export type BackoffOptions = { baseDelayMs: number; maxDelayMs: number };

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from `nowMs`: either delay-seconds (digits
 * only) or an HTTP-date. A date in the past is 0. Anything else is undefined: the caller falls
 * back to its own backoff rather than guessing.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names a weekday and a time; this keeps Date.parse from reading "1.5" or "2026".
  if (!/^[A-Za-z]{3,9},? /.test(text) || !/\d{2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Backoff before attempt `attempt + 1` (attempt counts from 1): the ceiling doubles from
 * `baseDelayMs` up to `maxDelayMs`, and the delay is half the ceiling plus a random share of the
 * other half ("equal jitter"), so it grows for certain and spreads clients apart.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** The wait before the next attempt: what the server asked for, and at least the backoff. */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions, random?: () => number): number {
  return Math.max(retryAfterMs ?? 0, backoffDelay(attempt, opts, random));
}
