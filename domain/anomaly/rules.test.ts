import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION } from './detect.ts';
import { budgetLevelsFor, detectionParamsFor, type AlertRule } from './rules.ts';

const rule = (r: Partial<AlertRule>): AlertRule => ({
  tenantId: null,
  meter: null,
  sensitivity: null,
  windowMinutes: null,
  minVolume: null,
  budgetLevels: null,
  ...r,
});
const defaults = { intervalMinutes: 5, baselineDays: 7, minVolume: 100, sensitivity: 6 };

describe('alert rules', () => {
  it('without rules the configured defaults apply', () => {
    expect(detectionParamsFor([], 't1', 'api_call', defaults)).toEqual({ ...DEFAULT_DETECTION, windowBuckets: 1 });
  });

  it('each setting comes from the most specific rule that sets it', () => {
    const rules = [
      rule({ sensitivity: 10, minVolume: 1000 }),
      rule({ meter: 'api_call', sensitivity: 8 }),
      rule({ tenantId: 't1', minVolume: 50 }),
      rule({ tenantId: 't1', meter: 'api_call', windowMinutes: 15 }),
      rule({ tenantId: 't2', sensitivity: 3 }),
    ];
    expect(detectionParamsFor(rules, 't1', 'api_call', defaults)).toMatchObject({ sensitivity: 8, minVolume: 50, windowBuckets: 3 });
    expect(detectionParamsFor(rules, 't1', 'tokens', defaults)).toMatchObject({ sensitivity: 10, minVolume: 50, windowBuckets: 1 });
    expect(detectionParamsFor(rules, 't3', 'tokens', defaults)).toMatchObject({ sensitivity: 10, minVolume: 1000 });
  });

  it('a window rounds up to whole scan intervals and is capped at 6 hours', () => {
    expect(detectionParamsFor([rule({ windowMinutes: 7 })], 't', 'm', defaults).windowBuckets).toBe(2);
    expect(detectionParamsFor([rule({ windowMinutes: 100_000 })], 't', 'm', defaults).windowBuckets).toBe(72);
  });

  it('budget levels come from the tenant rule, then the global rule, then 50/80/100; meter rules do not apply', () => {
    const rules = [
      rule({ budgetLevels: [90] }),
      rule({ tenantId: 't1', budgetLevels: [25, 75] }),
      rule({ tenantId: 't2', meter: 'x', budgetLevels: [1] }),
    ];
    expect(budgetLevelsFor(rules, 't1')).toEqual([25, 75]);
    expect(budgetLevelsFor(rules, 't2')).toEqual([90]);
    expect(budgetLevelsFor([], 't2')).toEqual([50, 80, 100]);
  });
});
