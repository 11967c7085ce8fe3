import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClusterClickHouse, TEST_CLUSTER } from '../../test/harness/clickhouse-cluster.ts';
import { migrateClickHouse } from './migrate.ts';

// On a cluster the migrator runs no DDL: it checks each pending migration against the
// operator's schema (deploy/clickhouse/cluster.sql) and records it, or stops and says why.

let ch: Awaited<ReturnType<typeof createTestClusterClickHouse>>;
let dir: string;
const migrations = join(import.meta.dirname, 'migrations');
const cluster = { cluster: TEST_CLUSTER };

async function tables(): Promise<string[]> {
  const rs = await ch.client.query({
    query: 'SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string; engine: string }>()).map((t) => `${t.name} ${t.engine}`);
}

const released = readdirSync(migrations)
  .filter((f) => f.endsWith('.sql'))
  .sort();

beforeAll(async () => {
  ch = await createTestClusterClickHouse({ migrate: false });
  dir = await mkdtemp(join(tmpdir(), 'meterplane-cluster-migrations-'));
  // This release's migrations, as they are.
  for (const file of released) await writeFile(join(dir, file), await readFile(join(migrations, file), 'utf8'));
});
afterAll(async () => {
  await ch?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('migrateClickHouse on a cluster', () => {
  it('refuses a cluster name the server does not know, before anything else', async () => {
    await expect(migrateClickHouse(ch.client, dir, { cluster: 'no_such_cluster' })).rejects.toThrow(
      /CLICKHOUSE_CLUSTER=no_such_cluster: this server has no such cluster/,
    );
  });

  it('stops when the first-delivery index (a Join table, one node only) is not on the node it is connected to', async () => {
    await ch.client.command({ query: 'RENAME TABLE usage_first_deliveries TO usage_first_deliveries_elsewhere' });
    try {
      await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(
        /usage_first_deliveries \(a Join table, one node's index\) is not on this node/,
      );
    } finally {
      await ch.client.command({ query: 'RENAME TABLE usage_first_deliveries_elsewhere TO usage_first_deliveries' });
    }
    // Nothing past the failing migration was recorded.
    const rs = await ch.client.query({ query: 'SELECT name FROM schema_migrations FINAL ORDER BY version', format: 'JSONEachRow' });
    expect((await rs.json<{ name: string }>()).map((m) => m.name)).toEqual(['usage_events', 'usage_events_event_key']);
  });

  it('checks and records the migrations without running their DDL, the data migration included while the tables are empty', async () => {
    const before = await tables();
    const pending = released.filter((f) => f.slice(0, 4) > '0002').map((f) => f.slice(0, -4));
    expect(pending.length).toBeGreaterThan(0);
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual(pending);
    expect(await tables()).toEqual(before);
    expect(before).toEqual(
      expect.arrayContaining(['usage_events Distributed', 'usage_redeliveries Distributed', 'usage_first_deliveries Join']),
    );
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual([]);
  });

  it('stops at a table the cluster schema lacks, and at a column only one side has, recording neither', async () => {
    await writeFile(
      join(dir, '9001_rollups.sql'),
      'CREATE TABLE IF NOT EXISTS usage_rollups (tenant_id String) ENGINE = MergeTree ORDER BY tenant_id;\n',
    );
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(
      /9001_rollups.sql: usage_rollups must be a Distributed table over usage_rollups_local/,
    );
    await rm(join(dir, '9001_rollups.sql'));
    await writeFile(join(dir, '9002_value.sql'), 'ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS probe_col Nullable(Decimal128(12));\n');
    await ch.client.command({ query: 'ALTER TABLE usage_events ADD COLUMN probe_col Nullable(Decimal128(12))' }); // the Distributed side only
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(
      /column probe_col must be on usage_events and usage_events_local/,
    );
    await ch.client.command({ query: 'ALTER TABLE usage_events_local ADD COLUMN probe_col Nullable(Decimal128(12))' });
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual(['9002_value']);
    const rs = await ch.client.query({ query: 'SELECT name FROM schema_migrations FINAL ORDER BY version', format: 'JSONEachRow' });
    expect((await rs.json<{ name: string }>()).map((m) => m.name).at(-1)).toBe('value');
  });

  it('records a migration that moves rows while the tables are empty, and stops at it once they hold data', async () => {
    await writeFile(join(dir, '9003_move.sql'), 'INSERT INTO usage_redeliveries SELECT * FROM usage_redeliveries WHERE 0;\n');
    await writeFile(join(dir, '9004_move_again.sql'), 'ALTER TABLE usage_events DELETE WHERE 0;\n');
    expect(await migrateClickHouse(ch.client, dir, cluster)).toEqual(['9003_move', '9004_move_again']);
    await writeFile(join(dir, '9005_move_with_data.sql'), 'INSERT INTO usage_redeliveries SELECT * FROM usage_redeliveries WHERE 0;\n');
    await ch.client.insert({
      table: 'usage_events',
      format: 'JSONEachRow',
      values: [
        { tenant_id: 't', event_id: 'e', event_type: 'x', event_time: '2026-01-01 00:00:00.000', subject: '', source: 's', data: '{}' },
      ],
    });
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(
      /9005_move_with_data.sql changes existing rows \(usage_events has data\)/,
    );
  });

  it('stops when the cluster schema was not applied (no schema_migrations)', async () => {
    await ch.client.command({ query: 'DROP TABLE schema_migrations' });
    await expect(migrateClickHouse(ch.client, dir, cluster)).rejects.toThrow(
      /schema_migrations is missing; apply deploy\/clickhouse\/cluster.sql first/,
    );
  });
});
