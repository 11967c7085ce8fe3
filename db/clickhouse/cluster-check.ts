import type { ClickHouseClient } from '@clickhouse/client';

/**
 * What `meterplane migrate` checks instead of running DDL on a sharded deployment
 * (deploy/clickhouse/cluster.sql): the operator created the cluster form of every table, and a
 * pending migration is recorded only once its tables and columns are there.
 */
export type MigrationStatement =
  | { kind: 'create'; table: string; engine: string }
  | { kind: 'addColumn'; table: string; column: string }
  /** Anything else (INSERT … SELECT, ALTER … DELETE): it changes rows. */
  | { kind: 'data' };

/** What a migration statement does, as far as the cluster check needs to know. */
export function classify(statement: string): MigrationStatement {
  const sql = statement.replace(/--.*$/gm, '').trim();
  const create = /^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+`?(\w+)`?/i.exec(sql);
  if (create) return { kind: 'create', table: create[1]!, engine: /\bENGINE\s*=\s*(\w+)/i.exec(sql)?.[1] ?? '' };
  const add = /^ALTER\s+TABLE\s+`?(\w+)`?\s+ADD\s+COLUMN\s+IF\s+NOT\s+EXISTS\s+`?(\w+)`?/i.exec(sql);
  if (add) return { kind: 'addColumn', table: add[1]!, column: add[2]! };
  return { kind: 'data' };
}

async function rows<T>(client: ClickHouseClient, query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
}

const APPLY_CLUSTER_SQL = 'apply deploy/clickhouse/cluster.sql first (deploy/README.md)';

/** The cluster is one the server knows, and cluster.sql was applied (its schema_migrations is here). */
export async function checkClusterBase(client: ClickHouseClient, cluster: string): Promise<void> {
  const [known] = await rows<{ n: string }>(client, 'SELECT count() AS n FROM system.clusters WHERE cluster = {c:String}', { c: cluster });
  if (known!.n === '0') throw new Error(`CLICKHOUSE_CLUSTER=${cluster}: this server has no such cluster (system.clusters)`);
  const [table] = await rows<{ n: string }>(
    client,
    "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'",
  );
  if (table!.n === '0') throw new Error(`ClickHouse cluster ${cluster}: schema_migrations is missing; ${APPLY_CLUSTER_SQL}`);
}

/**
 * A Join engine table (the first-delivery index) is one server's hash table, which ClickHouse
 * can neither replicate nor distribute. The writer looks keys up on the node it is connected
 * to, so the table must be on that node and on no other: were it on every node, a replica of
 * the API reaching another node (a load balancer in front of the cluster) would find an empty
 * index there and store a redelivery as a second event. With the table on one node only, such
 * a write fails instead.
 */
async function checkNodeLocal(client: ClickHouseClient, cluster: string, file: string, table: string): Promise<void> {
  const [here] = await rows<{ engine: string; host: string; db: string }>(
    client,
    'SELECT hostName() AS host, currentDatabase() AS db, (SELECT any(engine) FROM system.tables WHERE database = currentDatabase() AND name = {t:String}) AS engine',
    { t: table },
  );
  if (here!.engine !== 'Join') {
    throw new Error(
      `ClickHouse migration ${file}: ${table} (a Join table, one node's index) is not on this node (${here!.host}); create it on the node CLICKHOUSE_URL names (deploy/README.md)`,
    );
  }
  // The cluster name goes into the table function as a literal; only names ClickHouse's own
  // configuration allows are let through.
  if (!/^[\w.-]+$/.test(cluster)) throw new Error(`CLICKHOUSE_CLUSTER=${cluster}: not a cluster name`);
  const holders = await rows<{ host: string }>(
    client,
    `SELECT DISTINCT hostName() AS host FROM clusterAllReplicas('${cluster}', system.tables) WHERE database = {db:String} AND name = {t:String} ORDER BY host`,
    { db: here!.db, t: table },
  );
  const others = holders.map((h) => h.host).filter((h) => h !== here!.host);
  if (others.length > 0) {
    throw new Error(
      `ClickHouse migration ${file}: ${table} is also on ${others.join(', ')}; it must be on one node only, the one CLICKHOUSE_URL names (deploy/README.md)`,
    );
  }
}

/**
 * A pending migration on a cluster: every table it creates must be there as a Distributed table
 * over `<table>_local` (a Join table: on this node only), every column it adds must be on both,
 * and a statement that moves rows is only let through while the tables it could touch are empty
 * (a fresh cluster, where it has nothing to move). On a cluster with data it must be run by
 * hand, against the local tables.
 */
export async function checkOnCluster(
  client: ClickHouseClient,
  cluster: string,
  file: string,
  statements: readonly string[],
  created: readonly string[],
): Promise<void> {
  const tables = new Map(
    (await rows<{ name: string; engine: string }>(client, 'SELECT name, engine FROM system.tables WHERE database = currentDatabase()')).map(
      (t) => [t.name, t.engine],
    ),
  );
  for (const s of statements.map(classify)) {
    if (s.kind === 'create' && s.engine === 'Join') await checkNodeLocal(client, cluster, file, s.table);
    else if (s.kind === 'create') {
      if (tables.get(s.table) !== 'Distributed' || !tables.has(`${s.table}_local`)) {
        throw new Error(
          `ClickHouse migration ${file}: ${s.table} must be a Distributed table over ${s.table}_local on a cluster; ${APPLY_CLUSTER_SQL}`,
        );
      }
    } else if (s.kind === 'addColumn') {
      const [n] = await rows<{ n: string }>(
        client,
        'SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table IN ({t:Array(String)}) AND name = {c:String}',
        { t: [s.table, `${s.table}_local`], c: s.column },
      );
      if (n!.n !== '2')
        throw new Error(
          `ClickHouse migration ${file}: column ${s.column} must be on ${s.table} and ${s.table}_local; ${APPLY_CLUSTER_SQL}`,
        );
    } else {
      for (const table of created) {
        const [n] = await rows<{ n: string }>(client, `SELECT count() AS n FROM (SELECT 1 FROM ${table} LIMIT 1)`);
        if (n!.n !== '0') {
          throw new Error(
            `ClickHouse migration ${file} changes existing rows (${table} has data); on a cluster, run it by hand against the _local tables ON CLUSTER (deploy/README.md)`,
          );
        }
      }
    }
  }
}
