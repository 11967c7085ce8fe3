import type { ClickHouseSettings } from '@clickhouse/client';

/**
 * What a connection sends when the tables it uses are the Distributed tables of the sharded
 * schema (deploy/clickhouse/cluster.sql, CLICKHOUSE_CLUSTER). Both usage tables are sharded by
 * the tenant, so every event of a tenant and every later delivery of it live on one shard:
 * - `distributed_product_mode = 'local'`: an IN or JOIN subquery over a Distributed table, inside
 *   a query over a Distributed table, runs on each shard against that shard's local table. That
 *   is correct because the rows it must match are on the same shard; the default refuses such
 *   queries ("Double-distributed IN/JOIN subqueries is denied"), and GLOBAL would ship every
 *   shard's rows to every shard;
 * - `optimize_skip_unused_shards = 1`: a read whose WHERE names its tenants goes to their
 *   shards only;
 * - `distributed_foreground_insert = 1`: an insert returns once its rows are stored on their
 *   shards, not once they are queued on the node that received it;
 * - `insert_quorum = 'auto'`: ... on a majority of the shard's replicas, so an acknowledged
 *   event survives the loss of a replica; `insert_quorum_parallel = 0` linearises the quorum
 *   inserts of a shard, which is what lets the writer's confirming reads
 *   (WRITER_CONFIRM_SETTINGS) see every insert acknowledged before them.
 */
export const CLUSTER_SETTINGS = {
  distributed_product_mode: 'local',
  optimize_skip_unused_shards: 1,
  distributed_foreground_insert: 1,
  insert_quorum: 'auto',
  insert_quorum_parallel: 0,
} as const satisfies ClickHouseSettings;

/**
 * Sent by the deduplicating writer with the reads that decide whether an index hit is a stored
 * event. On a replicated shard a read may otherwise reach a replica that has not fetched an
 * event acknowledged a moment ago; the writer would take the event for a failed flush's
 * leftover and store the redelivery as a second event. With it, such a replica refuses the
 * read (the flush fails and is retried) instead of answering without the event. Tables that
 * are not replicated (a single server, the embedded engine) ignore it.
 */
export const WRITER_CONFIRM_SETTINGS = { select_sequential_consistency: '1' } as const satisfies ClickHouseSettings;
