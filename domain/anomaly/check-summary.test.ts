import { describe, expect, it } from 'vitest';
import { MAX_LISTED_FAILURES, mergeCheckResults } from './check-summary.ts';

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
});
