import { describe, expect, it } from 'vitest';
import { admission, type AdmissionInput } from './admission.ts';

const at = (queuedRows: number, tenantQueuedRows: number[], requestRows: number, maxQueueRows = 100): AdmissionInput => ({
  queuedRows,
  maxQueueRows,
  tenantQueuedRows,
  requestRows,
});

describe('admission (fair share of the ingest queue)', () => {
  it.each([
    // [case, input, decision]
    ['an empty queue takes a request that fills it exactly', at(0, [0], 100), 'admit'],
    ['at exactly half full nobody is over their share, even a tenant holding all of it', at(50, [50], 10), 'admit'],
    ['past half full, the tenant holding all of it is refused', at(51, [51], 1), 'fair_share'],
    ['past half full, a tenant holding more than half is refused', at(80, [41], 1), 'fair_share'],
    ['past half full, a tenant holding exactly half is admitted', at(80, [40], 1), 'admit'],
    ['past half full, a tenant holding nothing is admitted', at(90, [0], 10), 'admit'],
    ['a tenant holding nothing is refused only when the queue is full', at(95, [0], 6), 'overloaded'],
    ['the bound counts the whole request: one row over is refused', at(0, [0], 101), 'overloaded'],
    ['under half full, a large share is no reason to refuse', at(50, [50], 50), 'admit'],
    ['a request of several tenants is refused when any of them is over its share', at(60, [0, 31], 2), 'fair_share'],
    ['a request of several tenants, none over its share, is admitted', at(60, [30, 30], 2), 'admit'],
    ['an over-share tenant of a full queue hears 429, the reason it can act on', at(100, [60], 1), 'fair_share'],
    ['no tenant known yet (an admin request before its body is read): only the bound counts', at(99, [], 1), 'admit'],
    ['no tenant known yet, full queue', at(100, [], 1), 'overloaded'],
  ] as const)('%s', (_case, input, decision) => {
    expect(admission(input)).toBe(decision);
  });

  it('with an odd bound, "more than half full" means strictly more than max/2', () => {
    expect(admission(at(50, [50], 1, 101))).toBe('admit'); // 50 < 50.5
    expect(admission(at(51, [51], 1, 101))).toBe('fair_share');
  });
});
