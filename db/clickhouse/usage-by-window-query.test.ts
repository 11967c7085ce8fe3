import { describe, expect, it } from 'vitest';
import { parseMeter } from '../../domain/metering/index.ts';
import { meterUsageByWindowQuery } from './usage-query.ts';

const meter = parseMeter({ code: 'calls', name: 'Calls', eventType: 'api.call', aggregation: 'count' });
const jan = (d: number) => Date.UTC(2026, 0, d);

describe('meterUsageByWindowQuery', () => {
  it("passes tenants and windows as parameters, never in the SQL text, and reads the span's first deliveries and redeliveries", () => {
    const q = meterUsageByWindowQuery({
      meter,
      windows: [
        { tenantId: "t1' OR 1=1 --", fromMs: jan(3), toMs: jan(4) },
        { tenantId: 't2', fromMs: jan(1), toMs: jan(2) },
        { tenantId: 't2', fromMs: jan(2), toMs: jan(5) },
      ],
    });
    expect(q.query).not.toContain('t1');
    expect(q.query_params).toMatchObject({
      tenantIds: ["t1' OR 1=1 --", 't2'],
      windowTenants: ["t1' OR 1=1 --", 't2', 't2'],
      windowFromMs: [jan(3), jan(1), jan(2)],
      windowToMs: [jan(4), jan(2), jan(5)],
      from: '2026-01-01 00:00:00.000',
      to: '2026-01-05 00:00:00.000',
    });
    expect(q.query).toContain('FROM usage_events WHERE tenant_id IN {tenantIds:Array(String)} AND event_type = {eventType:String}');
    expect(q.query).toContain(
      'FROM usage_redeliveries WHERE tenant_id IN {tenantIds:Array(String)} AND winner_event_type = {eventType:String}',
    );
    expect(q.query).toContain('ON e.g0 = w.tenant_id');
    expect(q.query).toContain('ON r.tenant_id = w.tenant_id');
    expect(q.query).toContain('GROUP BY window_no');
  });

  it('refuses no windows, a window without tenant, or an empty window', () => {
    expect(() => meterUsageByWindowQuery({ meter, windows: [] })).toThrow(/at least one window/);
    expect(() => meterUsageByWindowQuery({ meter, windows: [{ tenantId: '', fromMs: jan(1), toMs: jan(2) }] })).toThrow(/tenantId/);
    expect(() => meterUsageByWindowQuery({ meter, windows: [{ tenantId: 't', fromMs: jan(2), toMs: jan(2) }] })).toThrow(/from < to/);
  });
});
