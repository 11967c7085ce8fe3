import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { connectClickHouse, type ClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse, statementsOf } from '../../db/clickhouse/migrate.ts';

export const TEST_CLUSTER = 'mp_two_shards';
const SHARDS = 2;

/**
 * The embedded engine as a two-shard cluster, with deploy/clickhouse/cluster.sql applied and
 * the app's migrator run in cluster mode. No ClickHouse server is needed: both shards are this
 * process (localhost on the default port, so the engine runs each shard's part of a query
 * itself, as `prefer_localhost_replica` does on a server). Two things stand in for what a real
 * cluster has:
 * - Both shards would read the same local tables, so a row filter (users.xml) lets shard n
 *   (shardNum(), set while a shard runs its part) see only the rows its sharding key sends to
 *   it: cityHash64(tenant_id) % 2 = n - 1, the Distributed engine's own choice for two shards
 *   of weight 1. Outside a distributed query shardNum() is 0 and a local table looks empty;
 *   the app never reads one directly.
 * - No Keeper: the Replicated engines become their plain forms and ON CLUSTER is dropped.
 * `migrate: false` leaves the app's migrator to the caller.
 */
export async function createTestClusterClickHouse(
  opts: { migrate?: boolean } = {},
): Promise<ClickHouse & { dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'meterplane-test-ch-cluster-'));
  const config = join(dir, 'config.xml');
  const users = join(dir, 'users.xml');
  const shard = (n: number) =>
    `<shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>9000</port></replica></shard>`.repeat(n);
  await writeFile(
    config,
    `<clickhouse><tcp_port>9000</tcp_port><users_config>${users}</users_config>
  <remote_servers><${TEST_CLUSTER}>${shard(SHARDS)}</${TEST_CLUSTER}></remote_servers>
  <macros><cluster>${TEST_CLUSTER}</cluster></macros></clickhouse>`,
  );
  const filter = `<filter>cityHash64(tenant_id) % ${SHARDS} = shardNum() - 1</filter>`;
  await writeFile(
    users,
    `<clickhouse><profiles><default/></profiles><quotas><default/></quotas><users><default><password/><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota>
  <databases><default><usage_events_local>${filter}</usage_events_local><usage_redeliveries_local>${filter}</usage_redeliveries_local></default></databases>
  </default></users></clickhouse>`,
  );
  // The first session of a data folder starts the engine, with this configuration; the
  // client's connection below joins the same engine.
  const session = new Session(join(dir, 'data'), { connectionArgs: [`--config-file=${config}`] });
  const ch = await connectClickHouse({ kind: 'embedded', path: join(dir, 'data'), cluster: TEST_CLUSTER });
  const clusterSql = await readFile(join(import.meta.dirname, '../../deploy/clickhouse/cluster.sql'), 'utf8');
  for (const statement of statementsOf(withoutKeeper(clusterSql))) await ch.client.command({ query: statement });
  if (opts.migrate !== false) await migrateClickHouse(ch.client, undefined, { cluster: TEST_CLUSTER });
  return {
    ...ch,
    dispose: async () => {
      await ch.close();
      session.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** cluster.sql without what needs Keeper: ON CLUSTER, and Replicated*(path, replica, …) as *(…). */
export function withoutKeeper(sql: string): string {
  return sql.replace(/\s+ON CLUSTER '\{cluster\}'/g, '').replace(/Replicated(\w+)\('[^']*', '\{replica\}'(?:, )?/g, '$1(');
}
