import { describe, expect, it } from 'vitest';
import { clickhouseMicroTime, clickhouseTime } from './time.ts';

describe('clickhouseTime', () => {
  it('formats times the way ClickHouse reads them', () => {
    expect(clickhouseTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02 03:04:05.006');
  });

  it('matches toISOString for instants across years, days and milliseconds', () => {
    for (let ms = 0; ms < Date.UTC(2100, 0, 1); ms += 7_919_999_999) {
      const iso = new Date(ms).toISOString();
      expect(clickhouseTime(ms)).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`);
    }
  });
});

describe('clickhouseMicroTime', () => {
  it('appends the microseconds, zero-padded, to the millisecond text', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    expect(clickhouseMicroTime(ms * 1000 + 7)).toBe('2026-01-02 03:04:05.006007');
    expect(clickhouseMicroTime(ms * 1000)).toBe('2026-01-02 03:04:05.006000');
    expect(clickhouseMicroTime(ms * 1000 + 999)).toBe('2026-01-02 03:04:05.006999');
  });

  it('rolls over the day at the last microsecond', () => {
    const midnight = Date.UTC(2024, 1, 29) * 1000;
    expect(clickhouseMicroTime(midnight - 1)).toBe('2024-02-28 23:59:59.999999');
    expect(clickhouseMicroTime(midnight)).toBe('2024-02-29 00:00:00.000000');
  });

  it('is exact for the largest safe microsecond count', () => {
    // 9007199254740991 µs since the epoch is 2255-06-05T23:47:34.740991Z.
    expect(clickhouseMicroTime(Number.MAX_SAFE_INTEGER)).toBe('2255-06-05 23:47:34.740991');
  });
});
