import { describe, expect, it } from 'vitest';
import { allTenantsAnomalyCountsQuery } from './anomaly-query.ts';

const END = Date.parse('2026-03-02T12:05:00Z');

describe('allTenantsAnomalyCountsQuery (the operator aggregate)', () => {
  const q = allTenantsAnomalyCountsQuery({ scope: 'all-tenants', windowEndMs: END, bucketMs: 300_000, buckets: 4, days: 7 });

  it('binds every value as a parameter', () => {
    expect(q.query_params).toEqual({
      day_ms: 86_400_000,
      bucket_ms: 300_000,
      span_ms: 1_200_000,
      end_ms: END,
      // 7 days plus one span back from the window end
      start_ms: END - 7 * 86_400_000 - 1_200_000,
      range_ms: 7 * 86_400_000 + 1_200_000,
    });
    for (const value of Object.values(q.query_params)) expect(q.query).not.toContain(String(value));
    expect(q.query).toContain('{end_ms:Int64}');
  });

  it('reads every tenant (no tenant filter) as a plain count: usage_events holds first deliveries only', () => {
    expect(q.query).not.toMatch(/tenant_id\s*=/);
    expect(q.query).not.toMatch(/argMin|event_key|usage_redeliveries/);
    expect(q.query).toContain('GROUP BY tenant_id, event_type, day, bucket');
  });

  it('refuses anything but an explicit all-tenants scope, and spans of a day or more', () => {
    expect(() =>
      allTenantsAnomalyCountsQuery({ scope: 'tenant' as never, windowEndMs: END, bucketMs: 300_000, buckets: 4, days: 7 }),
    ).toThrow(/operator aggregate/);
    expect(() =>
      allTenantsAnomalyCountsQuery({ scope: 'all-tenants', windowEndMs: END, bucketMs: 3_600_000, buckets: 24, days: 7 }),
    ).toThrow(/shorter than a day/);
    expect(() => allTenantsAnomalyCountsQuery({ scope: 'all-tenants', windowEndMs: END, bucketMs: 300_000, buckets: 0, days: 7 })).toThrow(
      /buckets/,
    );
  });
});
