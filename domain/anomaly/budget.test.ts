import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET_LEVELS, budgetLevelReached, budgetLevelToRaise, budgetSeverity } from './budget.ts';

describe('budget levels', () => {
  it.each<[string, string, number | null]>([
    ['0', '1000', null],
    ['499.99', '1000', null],
    ['500', '1000', 50],
    ['799.999999999999', '1000', 50],
    ['800', '1000', 80],
    ['1000', '1000', 100],
    ['2500', '1000', 100],
  ])('%s of %s reaches %s %%', (spent, budget, level) => {
    expect(budgetLevelReached(spent, budget, DEFAULT_BUDGET_LEVELS)).toBe(level);
  });

  it('a budget of zero has no levels', () => {
    expect(budgetLevelReached('10', '0', DEFAULT_BUDGET_LEVELS)).toBeNull();
  });

  it('raises each level once per period, and a jump raises only the highest level reached', () => {
    expect(budgetLevelToRaise('850', '1000', DEFAULT_BUDGET_LEVELS, [])).toBe(80);
    expect(budgetLevelToRaise('900', '1000', DEFAULT_BUDGET_LEVELS, [80])).toBeNull();
    // 50 is implied by 80 and never raised afterwards
    expect(budgetLevelToRaise('900', '1000', DEFAULT_BUDGET_LEVELS, [80])).toBeNull();
    expect(budgetLevelToRaise('1000', '1000', DEFAULT_BUDGET_LEVELS, [50, 80])).toBe(100);
  });

  it('custom levels need not be sorted', () => {
    expect(budgetLevelReached('950', '1000', [90, 25])).toBe(90);
  });

  it('severity grows with the level', () => {
    expect([50, 80, 100, 120].map(budgetSeverity)).toEqual(['info', 'warning', 'critical', 'critical']);
  });
});
