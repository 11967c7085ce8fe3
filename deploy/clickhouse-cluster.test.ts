import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyAddColumns, parseDdl, type TableDdl } from './clickhouse-ddl.ts';
import { SCHEMA_MIGRATIONS_DDL } from '../db/clickhouse/migrate.ts';

// deploy/clickhouse/cluster.sql must stay the cluster form of the single-node migrations:
// for every table T there, a Replicated* T_local ON CLUSTER with the same columns and keys,
// and a Distributed T over it, sharded so that one tenant's events live on one shard; and the
// migrator's schema_migrations, replicated to every node.

const root = join(import.meta.dirname, '..');
const migrationsDir = join(root, 'db/clickhouse/migrations');
const migrationFiles = readdirSync(migrationsDir)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const migrations = migrationFiles.flatMap((file) =>
  parseDdl(readFileSync(join(migrationsDir, file), 'utf8')).map((stmt) => ({ file, stmt })),
);
const cluster = parseDdl(readFileSync(join(import.meta.dirname, 'clickhouse/cluster.sql'), 'utf8'));

// The single-node schema as all migrations leave it (a fresh cluster is created in its final form).
const allMigrationTables = applyAddColumns(migrations.map(({ stmt }) => stmt));
// A Join engine table (the first-delivery index) is one server's hash table: it cannot be
// replicated or distributed, so its cluster form is the same table on one node only.
const nodeLocal = allMigrationTables.filter((t) => t.engine.name === 'Join');
const migrationTables = allMigrationTables.filter((t) => t.engine.name !== 'Join');
const clusterTables = new Map(cluster.flatMap((s) => (s.kind === 'table' ? [[s.name, s] as const] : [])));

function clusterTable(name: string): TableDdl {
  const table = clusterTables.get(name);
  if (!table) throw new Error(`deploy/clickhouse/cluster.sql has no CREATE TABLE ${name}`);
  return table;
}

describe('deploy/clickhouse/cluster.sql against db/clickhouse/migrations', () => {
  it('has migrations to compare with', () => {
    expect(migrationTables.length).toBeGreaterThan(0);
  });

  it('only meets statements it knows how to compare', () => {
    // An ALTER, a materialized view or a dictionary in a migration needs its cluster form
    // in cluster.sql and a matching check here. Statements that move rows ('data') have no
    // cluster form: a fresh cluster has no rows to move.
    const unknown = migrations
      .filter(({ stmt }) => stmt.kind === 'other')
      .map(({ file, stmt }) => `${file}: ${stmt.kind === 'other' ? stmt.text.slice(0, 80) : ''}`);
    expect(unknown, 'extend deploy/clickhouse-cluster.test.ts and cluster.sql for these').toEqual([]);
    expect(cluster.filter((s) => s.kind !== 'table')).toEqual([]);
  });

  it('defines exactly the tables of the migrations, each as T_local plus T (a Join index as T alone), and schema_migrations', () => {
    const expected = [
      ...migrationTables.flatMap((t) => [`${t.name}_local`, t.name]),
      ...nodeLocal.map((t) => t.name),
      'schema_migrations',
    ].sort();
    expect([...clusterTables.keys()].sort()).toEqual(expected);
  });

  it("shards every table by the same key, so a tenant's events and redeliveries share a shard", () => {
    const keys = migrationTables.map((t) => clusterTable(t.name).engine.args[3]);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe('cityHash64(tenant_id)');
  });

  it("has the replicated form of the migrator's schema_migrations, on every node", () => {
    const [single] = parseDdl(SCHEMA_MIGRATIONS_DDL) as TableDdl[];
    const table = clusterTable('schema_migrations');
    expect(table.onCluster).toBe('{cluster}');
    expect(table.columns).toEqual(single!.columns);
    expect(table.clauses).toEqual(single!.clauses);
    expect(table.engine.name).toBe(`Replicated${single!.engine.name}`);
    // No {shard} in the path: one replica set spanning all nodes.
    expect(table.engine.args[0]).toMatch(/^'\/clickhouse\/tables\/[^{]*\{database\}\/schema_migrations'$/);
    expect(table.engine.args.slice(1)).toEqual(["'{replica}'", ...single!.engine.args]);
  });

  for (const single of nodeLocal) {
    it(`${single.name}, a Join index, is the same table, on the node the DDL runs on only (no ON CLUSTER)`, () => {
      const table = clusterTable(single.name);
      expect(table.onCluster).toBeUndefined();
      expect(table.engine).toEqual(single.engine);
      expect(table.columns).toEqual(single.columns);
      expect(table.clauses).toEqual(single.clauses);
    });
  }

  for (const single of migrationTables) {
    describe(single.name, () => {
      it('keeps the tenant first in the sort key', () => {
        expect(single.clauses['ORDER BY']).toMatch(/^\(?tenant_id\b/);
      });

      it(`${single.name}_local is the Replicated form of the migration's engine, on the cluster`, () => {
        const local = clusterTable(`${single.name}_local`);
        expect(local.onCluster).toBe('{cluster}');
        expect(local.engine.name).toBe(`Replicated${single.engine.name}`);
        // Replicated*(zookeeper_path, replica_name, <the engine's own arguments>)
        const [path, replica, ...own] = local.engine.args;
        expect(path).toMatch(/^'\/clickhouse\/tables\/\{shard\}\/.*'$/);
        expect(replica).toBe("'{replica}'");
        expect(own).toEqual(single.engine.args);
      });

      it(`${single.name}_local has the same columns, in order`, () => {
        expect(clusterTable(`${single.name}_local`).columns).toEqual(single.columns);
      });

      it(`${single.name}_local has the same sort key, partition key and other table clauses`, () => {
        const local = clusterTable(`${single.name}_local`);
        expect(local.clauses['ORDER BY']).toBe(single.clauses['ORDER BY']);
        expect(local.clauses['PARTITION BY']).toBe(single.clauses['PARTITION BY']);
        expect(local.clauses).toEqual(single.clauses);
        expect(local.otherDefinitions).toEqual(single.otherDefinitions);
      });

      it(`${single.name} is Distributed over ${single.name}_local with the same columns`, () => {
        const dist = clusterTable(single.name);
        expect(dist.onCluster).toBe('{cluster}');
        expect(dist.engine.name).toBe('Distributed');
        expect(dist.engine.args.slice(0, 3)).toEqual(["'{cluster}'", 'currentDatabase()', `${single.name}_local`]);
        expect(dist.columns).toEqual(single.columns);
      });

      it(`${single.name} shards by the tenant only, so a tenant's events share one shard`, () => {
        const shardingKey = clusterTable(single.name).engine.args[3];
        expect(shardingKey).toBeDefined();
        const columns = single.columns.map((c) => c.split(' ')[0]!);
        const named = columns.filter((c) => new RegExp(`\\b${c}\\b`).test(shardingKey!));
        expect(named).toEqual(['tenant_id']);
        expect(shardingKey).not.toMatch(/rand/i);
      });
    });
  }
});

describe('clickhouse-ddl reader', () => {
  it('reads engine arguments, keys and defaults of a Replacing table', () => {
    const [t] = parseDdl(`
      -- comment; with a semicolon
      CREATE TABLE IF NOT EXISTS usage_events (
        tenant_id String, event_time DateTime64( 3 , 'UTC' ),
        ingested_at DateTime64(6,'UTC') DEFAULT now64(6),
        INDEX idx_type event_type TYPE set(100) GRANULARITY 4
      ) ENGINE = ReplacingMergeTree(ingested_at)
      PARTITION BY toYYYYMM(event_time)
      ORDER BY (tenant_id, event_time) SETTINGS index_granularity = 8192;`);
    expect(t).toEqual({
      kind: 'table',
      name: 'usage_events',
      onCluster: undefined,
      columns: ['tenant_id String', "event_time DateTime64(3, 'UTC')", "ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)"],
      otherDefinitions: ['INDEX idx_type event_type TYPE set(100) GRANULARITY 4'],
      engine: { name: 'ReplacingMergeTree', args: ['ingested_at'] },
      clauses: { 'PARTITION BY': 'toYYYYMM(event_time)', 'ORDER BY': '(tenant_id, event_time)', SETTINGS: 'index_granularity = 8192' },
    });
  });

  it('reads ON CLUSTER and reports other statements as such', () => {
    const [t, added, other] = parseDdl(
      "CREATE TABLE t ON CLUSTER '{cluster}' (a String) ENGINE = Distributed('{cluster}', currentDatabase(), t_local, cityHash64(a)); ALTER TABLE t ADD COLUMN IF NOT EXISTS b UInt8 MATERIALIZED  length(a); ALTER TABLE t DROP COLUMN a",
    );
    expect(t).toMatchObject({
      name: 't',
      onCluster: '{cluster}',
      engine: { name: 'Distributed', args: ["'{cluster}'", 'currentDatabase()', 't_local', 'cityHash64(a)'] },
    });
    expect(added).toEqual({ kind: 'addColumn', table: 't', column: 'b UInt8 MATERIALIZED length(a)' });
    expect(other).toEqual({ kind: 'other', text: 'ALTER TABLE t DROP COLUMN a' });
    expect(applyAddColumns([t!, added!])[0]!.columns).toEqual(['a String', 'b UInt8 MATERIALIZED length(a)']);
  });
});
