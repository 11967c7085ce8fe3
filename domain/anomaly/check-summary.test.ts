import { describe, expect, it } from 'vitest';
import { MAX_LISTED_FAILURES, MAX_LISTED_RAISED, listRaised, mergeCheckResults } from './check-summary.ts';

const page = (tenants: number, raised: string[], failedTenants: string[]) => ({
  tenants,
  raised,
  failed: failedTenants.length,
  failures: failedTenants.map((tenantId) => ({ tenantId, error: 'x' })),
});

describe('mergeCheckResults', () => {
  it("adds the counts and keeps the pages' order", () => {
    expect(mergeCheckResults([page(2, ['a'], ['t1']), page(3, ['b', 'c'], []), page(1, [], ['t9'])])).toEqual({
      tenants: 6,
      raised: ['a', 'b', 'c'],
      failed: 2,
      failures: [
        { tenantId: 't1', error: 'x' },
        { tenantId: 't9', error: 'x' },
      ],
    });
  });

  it('lists the first failures only, and still counts every one', () => {
    const many = (p: number) =>
      page(
        30,
        [],
        Array.from({ length: 15 }, (_, i) => `p${p}-${i}`),
      );
    const merged = mergeCheckResults([many(1), many(2)]);
    expect(merged.failed).toBe(30);
    expect(merged.failures).toHaveLength(MAX_LISTED_FAILURES);
    expect(merged.failures.at(-1)!.tenantId).toBe('p2-4');
  });

  it('of no pages is an empty result', () => {
    expect(mergeCheckResults([])).toEqual({ tenants: 0, raised: [], failed: 0, failures: [] });
  });

  it('of pages that count their alerts lists the first MAX_LISTED_RAISED and counts them all', () => {
    const counted = (p: number, n: number) => ({ ...page(n, [], []), ...listRaised(Array.from({ length: n }, (_, i) => `p${p}-${i}`)) });
    // Each page lists at most MAX_LISTED_RAISED itself
    expect(counted(1, 150).raised).toHaveLength(MAX_LISTED_RAISED);
    expect(counted(1, 150).raisedCount).toBe(150);
    const merged = mergeCheckResults([counted(1, 60), counted(2, 150), page(5, [], ['t'])]);
    expect(merged.raisedCount).toBe(210);
    expect(merged.raised).toHaveLength(MAX_LISTED_RAISED);
    expect(merged.raised.slice(58, 62)).toEqual(['p1-58', 'p1-59', 'p2-0', 'p2-1']);
    expect(merged.tenants).toBe(215);
  });

  it('of pages that list every alert keeps every alert, however many (the runs before counting)', () => {
    const full = Array.from({ length: 3 * MAX_LISTED_RAISED }, (_, i) => `a${i}`);
    const merged = mergeCheckResults([page(1, full, []), page(1, full, [])]);
    expect(merged.raised).toHaveLength(6 * MAX_LISTED_RAISED);
    expect(merged).not.toHaveProperty('raisedCount');
  });
});
