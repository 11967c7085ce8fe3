import { describe, expect, it } from 'vitest';
import { parseMeter } from '../../domain/metering/index.ts';
import { meterUsageByTenantQuery } from './usage-query.ts';

const meter = parseMeter({ code: 'calls', name: 'Calls', eventType: 'api.call', aggregation: 'count' });
const window = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) };

describe('meterUsageByTenantQuery', () => {
  it('names every tenant as a parameter, never in the SQL text, and counts events and redeliveries per tenant', () => {
    const q = meterUsageByTenantQuery({ tenantIds: ["t1' OR 1=1 --", 't2'], meter, ...window });
    expect(q.query_params.tenantIds).toEqual(["t1' OR 1=1 --", 't2']);
    expect(q.query).not.toContain('t1');
    expect(q.query).toContain('FROM usage_events WHERE tenant_id IN {tenantIds:Array(String)} AND event_type = {eventType:String}');
    expect(q.query).toContain('GROUP BY GROUPING SETS ((), (g0))');
    expect(q.query).toContain(
      'FROM usage_redeliveries WHERE tenant_id IN {tenantIds:Array(String)} AND winner_event_type = {eventType:String}',
    );
    expect(q.query).toContain('GROUP BY GROUPING SETS ((), (tenant_id))');
  });

  it("matches a filtered meter's redeliveries to their winners by tenant as well as source and id", () => {
    const filtered = parseMeter({ code: 'gets', name: 'GETs', eventType: 'api.call', aggregation: 'count', filters: { method: ['GET'] } });
    const q = meterUsageByTenantQuery({ tenantIds: ['t1', 't2'], meter: filtered, ...window });
    expect(q.query).toContain(
      'AND (tenant_id, toString(source), event_id) IN ( SELECT tenant_id, toString(source), event_id FROM usage_events',
    );
  });

  it('refuses a read without tenants, with an empty tenant id, or an empty window', () => {
    expect(() => meterUsageByTenantQuery({ tenantIds: [], meter, ...window })).toThrow(/needs their ids/);
    expect(() => meterUsageByTenantQuery({ tenantIds: ['t1', ''], meter, ...window })).toThrow(/needs their ids/);
    expect(() => meterUsageByTenantQuery({ tenantIds: ['t1'], meter, fromMs: window.toMs, toMs: window.toMs })).toThrow(/from < to/);
  });
});
