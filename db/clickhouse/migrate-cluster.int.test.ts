import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClusterClickHouse, TEST_CLUSTER } from '../../test/harness/clickhouse-cluster.ts';
import { migrateClickHouse, statementsOf } from './migrate.ts';

// On a cluster the migrator runs no DDL: it checks each pending migration against the
// operator's schema (deploy/clickhouse/cluster.sql) and records it, or stops and says why.

let ch: Awaited<ReturnType<typeof createTestClusterClickHouse>>;
let dir: string;
const migrations = join(import.meta.dirname, 'migrations');
const cluster = { cluster: TEST_CLUSTER };

async function tables(): Promise<string[]> {
  const rs = await ch.client.query({ query: 'SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' });
  return (await rs.json<{ name: string; engine: string }>()).map((t) => `${t.name} ${t.engine}`);
}

beforeAll(async () => {
  ch = await createTestClusterClickHouse({ migrate: false });
  dir = await mkdtemp(join(tmpdir(), 'meterplane-cluster-migrations-'));
  // This release's schema files, without what has no cluster form (the node-local Join index).
  const redeliveries = statementsOf(await readFile(join(migrations, '0003_first_deliveries.sql'), 'utf8')).find((s) => /CREATE TABLE IF NOT EXISTS usage_redeliveries\b/.test(s));
  await writeFile(join(dir, '0001_usage_events.sql'), await readFile(join(migrations, '0001_usage_events.sql'), 'utf8'));
  await writeFile(join(dir, '0002_usage_events_event_key.sql'), await readFile(join(migrations, '0002_usage_events_event_key.sql'), 'utf8'));
  await writeFile(join(dir, '0003_redeliveries.sql'), `${redeliveries!};\n`);
});
afterAll(async () => {
  await ch?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('migrateClickHouse on a cluster', () => {
  it('refuses a cluster name the server does not know, before anything else', async () => {
    await expect(migrateClickHouse(ch.client, dir, { cluster: 'no_such_cluster' })).rejects.toThrow(/CLICKHOUSE_CLUSTER=no_such_cluster: this server has no such cluster/);
  });

  it('checks and records the migrations without running their DDL', async () => {
    const before = await tables();
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual(['0001_usage_events', '0002_usage_events_event_key', '0003_redeliveries']);
    expect(await tables()).toEqual(before);
    expect(before).toContain('usage_events Distributed');
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual([]);
  });

  it('stops at a table the cluster schema lacks, and at a column only one side has, recording neither', async () => {
    await writeFile(join(dir, '0004_rollups.sql'), 'CREATE TABLE IF NOT EXISTS usage_rollups (tenant_id String) ENGINE = MergeTree ORDER BY tenant_id;\n');
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(/0004_rollups.sql: usage_rollups must be a Distributed table over usage_rollups_local/);
    await rm(join(dir, '0004_rollups.sql'));
    await writeFile(join(dir, '0004_value.sql'), 'ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS value Nullable(Decimal128(12));\n');
    await ch.client.command({ query: 'ALTER TABLE usage_events ADD COLUMN value Nullable(Decimal128(12))' }); // the Distributed side only
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(/column value must be on usage_events and usage_events_local/);
    await ch.client.command({ query: 'ALTER TABLE usage_events_local ADD COLUMN value Nullable(Decimal128(12))' });
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual(['0004_value']);
    const rs = await ch.client.query({ query: 'SELECT name FROM schema_migrations FINAL ORDER BY version', format: 'JSONEachRow' });
    expect((await rs.json<{ name: string }>()).map((m) => m.name)).toEqual(['usage_events', 'usage_events_event_key', 'redeliveries', 'value']);
  });

  it('records a migration that moves rows while the tables are empty, and stops at it once they hold data', async () => {
    await writeFile(join(dir, '0005_move.sql'), 'INSERT INTO usage_redeliveries SELECT * FROM usage_redeliveries WHERE 0;\n');
    await writeFile(join(dir, '0006_move_again.sql'), 'ALTER TABLE usage_events DELETE WHERE 0;\n');
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual(['0005_move', '0006_move_again']);
    await writeFile(join(dir, '0007_move_with_data.sql'), 'INSERT INTO usage_redeliveries SELECT * FROM usage_redeliveries WHERE 0;\n');
    await ch.client.insert({ table: 'usage_events', format: 'JSONEachRow', values: [{ tenant_id: 't', event_id: 'e', event_type: 'x', event_time: '2026-01-01 00:00:00.000', subject: '', source: 's', data: '{}' }] });
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(/0007_move_with_data.sql changes existing rows \(usage_events has data\)/);
  });

  it('stops when the cluster schema was not applied (no schema_migrations)', async () => {
    await ch.client.command({ query: 'DROP TABLE schema_migrations' });
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(/schema_migrations is missing; apply deploy\/clickhouse\/cluster.sql first/);
  });
});
