import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, retryDelay } from './retry-delay.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['1', 1_000],
    ['0', 0],
    [' 120 ', 120_000],
    ['86400', 86_400_000],
  ])('reads delay-seconds %j as %d ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    ['Wed, 02 Dec 2026 12:00:05 GMT', 5_000], // IMF-fixdate
    ['Wednesday, 02-Dec-26 12:01:00 GMT', 60_000], // obsolete RFC 850
    ['Wed Dec  2 12:00:30 2026', 30_000], // obsolete asctime, read as UTC by the RFC
    ['Wed, 02 Dec 2026 11:59:00 GMT', 0], // already past: no wait, never negative
  ])('reads the HTTP-date %j as %d ms from now', (value, ms) => {
    // asctime carries no zone; Date.parse reads it as local time, which is UTC here only if TZ is.
    if (value.startsWith('Wed Dec') && new Date(0).getTimezoneOffset() !== 0) return;
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([undefined, null, '', '   ', '-1', '1.5', '1e3', 'soon', 'Wed, 32 Foo 2026 99:99:99 GMT', '0x10'])(
    'gives undefined for %j, so the caller backs off by itself',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});

describe('backoffDelay', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1_000 };
  it('doubles the ceiling per attempt up to the cap, and takes half of it for certain', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
  it('spreads clients that failed together (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, opts)));
    expect(delays.size).toBeGreaterThan(40);
    for (const d of delays) expect(d >= 400 && d <= 800).toBe(true);
  });
});

describe('retryDelay', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 30_000 };
  it('waits at least what Retry-After asks, even when the backoff is shorter', () => {
    expect(retryDelay(1, 2_000, opts, () => 1)).toBe(2_000);
  });
  it('waits the backoff when it is longer than Retry-After, or when there is none', () => {
    expect(retryDelay(8, 1_000, opts, () => 0)).toBe(6_400);
    expect(retryDelay(2, undefined, opts, () => 0)).toBe(100);
  });
});
