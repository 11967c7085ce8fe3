import { describe, expect, it } from 'vitest';
import { parseMeter } from '../../domain/metering/index.ts';
import { allTenantsAnomalyCountsQuery } from './anomaly-query.ts';
import { eventDeliveriesQueries } from './event-deliveries.ts';
import {
  meterDuplicatesQuery,
  meterEventsQuery,
  meterTimeseriesQuery,
  meterUsageByTenantQuery,
  meterUsageByWindowQuery,
  meterUsageQuery,
} from './usage-query.ts';

// On a cluster the builders' SQL runs unchanged, with the client's cluster settings: it must
// name only the Distributed tables (the `local` product mode maps subqueries to the shard's
// local tables; naming a _local table or GLOBAL would read one node's rows, or ship every
// shard's rows to every shard), and every single-tenant read must name its tenant by equality,
// the condition optimize_skip_unused_shards needs to reach one shard only.

const meter = parseMeter({
  code: 'eu',
  name: 'EU',
  eventType: 'llm',
  aggregation: 'sum',
  valueProperty: 'tokens',
  groupBy: ['region'],
  filters: { region: ['eu'] },
});
const window = { meter, fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) };
const single = { tenantId: 't1', ...window };
const singleTenant = {
  meterUsageQuery: meterUsageQuery({ ...single, groupBy: ['region'] }),
  meterDuplicatesQuery: meterDuplicatesQuery(single),
  meterTimeseriesQuery: meterTimeseriesQuery({ ...single, stepMs: 3_600_000 }),
  meterEventsQuery: meterEventsQuery({ ...single, limit: 10 }),
  eventDeliveriesEvents: eventDeliveriesQueries({ tenantId: 't1', id: 'e1' }).events,
  eventDeliveriesRedeliveries: eventDeliveriesQueries({ tenantId: 't1', id: 'e1' }).redeliveries,
};
const all = {
  ...singleTenant,
  meterUsageByTenantQuery: meterUsageByTenantQuery({ tenantIds: ['t1', 't2'], ...window }),
  meterUsageByWindowQuery: meterUsageByWindowQuery({
    meter,
    windows: [
      { tenantId: 't1', ...window },
      { tenantId: 't2', ...window },
    ],
  }),
  allTenantsAnomalyCountsQuery: allTenantsAnomalyCountsQuery({
    scope: 'all-tenants',
    windowEndMs: Date.UTC(2026, 0, 2),
    bucketMs: 300_000,
    buckets: 3,
    days: 7,
  }),
};

describe('the query builders on a sharded deployment', () => {
  for (const [name, q] of Object.entries(all)) {
    it(`${name} reads only the Distributed tables, without GLOBAL`, () => {
      const tables = [...q.query.matchAll(/\b(?:FROM|JOIN)\s+(\w+)/g)].map((m) => m[1]).filter((t) => t !== undefined);
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables) expect(['usage_events', 'usage_redeliveries']).toContain(t);
      expect(q.query).not.toMatch(/_local\b|\bGLOBAL\b/);
    });
  }

  for (const [name, q] of Object.entries(singleTenant)) {
    it(`${name} names its tenant by equality in every read of a usage table`, () => {
      const reads = q.query.split(/\bFROM\s+(?=usage_)/).slice(1);
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read).toMatch(/^usage_\w+ WHERE tenant_id = \{tenantId:String\}/);
      expect(q.query_params.tenantId).toBe('t1');
    });
  }

  for (const name of ['meterUsageByTenantQuery', 'meterUsageByWindowQuery'] as const) {
    it(`${name} names its tenants in every read of a usage table, so only their shards are read`, () => {
      const reads = all[name].query.split(/\bFROM\s+(?=usage_)/).slice(1);
      expect(reads.length).toBeGreaterThan(1);
      for (const read of reads) expect(read).toMatch(/^usage_\w+ WHERE tenant_id IN \{tenantIds:Array\(String\)\}/);
      expect(all[name].query_params.tenantIds).toEqual(['t1', 't2']);
    });
  }

  it('the filtered-duplicates query is the one with IN subqueries over both tables (the case the product mode exists for)', () => {
    expect(singleTenant.meterDuplicatesQuery.query.match(/\bIN \(\s*SELECT/g)).toHaveLength(2);
  });
});
