-- Meterplane on a sharded, replicated ClickHouse cluster.
--
-- The cluster form of db/clickhouse/migrations/0001_usage_events.sql (read that file for why
-- the columns and the sort key are what they are). deploy/clickhouse-cluster.test.ts fails
-- when the two disagree on columns, sort key or partition key.
--
-- Apply ONCE, BEFORE the first `meterplane migrate`, in the database named by
-- CLICKHOUSE_DATABASE, on the node that CLICKHOUSE_URL will name (the ingest node: it alone
-- holds the first-delivery index, below):
--
--   clickhouse client --host <node> --user <admin> --password <...> \
--     --database <db> --multiquery < deploy/clickhouse/cluster.sql
--
-- Every node needs ClickHouse Keeper (or ZooKeeper) and the macros {cluster}, {shard} and
-- {replica} (the Altinity operator and ClickHouse Cloud define them; on hand-made clusters
-- set them in <macros>), and {cluster} must name the cluster in <remote_servers>. Then set
-- CLICKHOUSE_CLUSTER to that name. The app keeps reading and writing `usage_events` and
-- `usage_redeliveries`, the Distributed tables here. With CLICKHOUSE_CLUSTER, `meterplane
-- migrate` runs no DDL: it checks that every table of its migrations is here in its cluster
-- form, and records the migrations in schema_migrations (the last table below).
--
-- Layout
--   usage_events_local  ReplicatedMergeTree, one copy per replica of each shard: the data.
--   usage_events        Distributed over usage_events_local, sharded by cityHash64(tenant_id):
--                       every event of a tenant, and so every redelivery of an event, lands
--                       on one shard. The first-delivery deduplication (argMin over
--                       ingested_at per tenant_id, event_id) is therefore exact on each shard,
--                       and a tenant's billing read touches a single shard
--                       (optimize_skip_unused_shards can skip the others).
--
-- Durability: an event is acknowledged only once ClickHouse accepted it. With
-- CLICKHOUSE_CLUSTER set, the app sends (db/clickhouse/cluster-settings.ts):
--   distributed_foreground_insert = 1   -- a.k.a. insert_distributed_sync on older servers:
--                                       -- return once stored on the shard, not queued here
--   insert_quorum = 'auto'              -- acknowledged by a majority of the shard's replicas
--   insert_quorum_parallel = 0          -- so that select_sequential_consistency holds for the
--                                       -- writer's reads that confirm an event is stored

CREATE TABLE IF NOT EXISTS usage_events_local ON CLUSTER '{cluster}'
(
    tenant_id    String,
    event_id     String,
    event_type   LowCardinality(String),
    event_time   DateTime64(3, 'UTC'),
    subject      String,
    source       LowCardinality(String),
    data         String,
    ingested_at  DateTime64(6, 'UTC') DEFAULT now64(6),
    event_key    UInt128 MATERIALIZED reinterpretAsUInt128(substring(SHA256(event_id), 1, 16)),
    data_texts Map(LowCardinality(String), String) MATERIALIZED CAST(arrayMap(x -> (x.1, if(startsWith(x.2, '"'), JSONExtractString(x.2), x.2)), arrayFilter(x -> x.2 != 'null' AND NOT startsWith(x.2, '{'), arrayFold((acc, i) -> (arrayFlatten(arrayMap(x -> arrayMap(y -> (concat(x.1, '.', y.1), y.2), arrayFilter(y -> match(y.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(x.2))), arrayFilter(x -> startsWith(x.2, '{'), acc.1))), arrayConcat(acc.2, acc.1)), range(8), (arrayFilter(x -> match(x.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(data)), CAST([], 'Array(Tuple(String, String))'))).2)), 'Map(LowCardinality(String), String)'),
    data_objects Array(LowCardinality(String)) MATERIALIZED arrayMap(x -> x.1, arrayFilter(x -> startsWith(x.2, '{'), arrayFold((acc, i) -> (arrayFlatten(arrayMap(x -> arrayMap(y -> (concat(x.1, '.', y.1), y.2), arrayFilter(y -> match(y.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(x.2))), arrayFilter(x -> startsWith(x.2, '{'), acc.1))), arrayConcat(acc.2, acc.1)), range(8), (arrayFilter(x -> match(x.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(data)), CAST([], 'Array(Tuple(String, String))'))).2)),
    data_numbers Map(LowCardinality(String), Decimal(38, 12)) MATERIALIZED mapApply((k, v) -> (k, toDecimal128(v, 12)), mapFilter((k, v) -> match(v, '^-?[0-9]{1,26}([.][0-9]{1,12})?$'), data_texts))
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/usage_events_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (tenant_id, event_type, event_time, event_id);

CREATE TABLE IF NOT EXISTS usage_events ON CLUSTER '{cluster}'
(
    tenant_id    String,
    event_id     String,
    event_type   LowCardinality(String),
    event_time   DateTime64(3, 'UTC'),
    subject      String,
    source       LowCardinality(String),
    data         String,
    ingested_at  DateTime64(6, 'UTC') DEFAULT now64(6),
    event_key    UInt128 MATERIALIZED reinterpretAsUInt128(substring(SHA256(event_id), 1, 16)),
    data_texts Map(LowCardinality(String), String) MATERIALIZED CAST(arrayMap(x -> (x.1, if(startsWith(x.2, '"'), JSONExtractString(x.2), x.2)), arrayFilter(x -> x.2 != 'null' AND NOT startsWith(x.2, '{'), arrayFold((acc, i) -> (arrayFlatten(arrayMap(x -> arrayMap(y -> (concat(x.1, '.', y.1), y.2), arrayFilter(y -> match(y.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(x.2))), arrayFilter(x -> startsWith(x.2, '{'), acc.1))), arrayConcat(acc.2, acc.1)), range(8), (arrayFilter(x -> match(x.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(data)), CAST([], 'Array(Tuple(String, String))'))).2)), 'Map(LowCardinality(String), String)'),
    data_objects Array(LowCardinality(String)) MATERIALIZED arrayMap(x -> x.1, arrayFilter(x -> startsWith(x.2, '{'), arrayFold((acc, i) -> (arrayFlatten(arrayMap(x -> arrayMap(y -> (concat(x.1, '.', y.1), y.2), arrayFilter(y -> match(y.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(x.2))), arrayFilter(x -> startsWith(x.2, '{'), acc.1))), arrayConcat(acc.2, acc.1)), range(8), (arrayFilter(x -> match(x.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(data)), CAST([], 'Array(Tuple(String, String))'))).2)),
    data_numbers Map(LowCardinality(String), Decimal(38, 12)) MATERIALIZED mapApply((k, v) -> (k, toDecimal128(v, 12)), mapFilter((k, v) -> match(v, '^-?[0-9]{1,26}([.][0-9]{1,12})?$'), data_texts))
)
ENGINE = Distributed('{cluster}', currentDatabase(), usage_events_local, cityHash64(tenant_id));

-- The first-delivery index of deduplication at ingest (migration 0003). A Join engine table is
-- a hash table held by one server: it can be neither replicated nor distributed. The writer
-- looks keys up on the node it is connected to, so it is created on this node only (no ON
-- CLUSTER), and every API replica's CLICKHOUSE_URL names this node: through any other node a
-- write fails (unknown table) rather than miss a redelivery (see deploy/README.md).
CREATE TABLE IF NOT EXISTS usage_first_deliveries
(
    tenant_id    String EPHEMERAL,
    source       String EPHEMERAL,
    event_id     String EPHEMERAL,
    dedup_key    UInt128 DEFAULT reinterpretAsUInt128(substring(SHA256(concat(toString(length(tenant_id)), ':', tenant_id, toString(length(source)), ':', source, event_id)), 1, 16)),
    event_type   String,
    event_time   DateTime64(3, 'UTC'),
    ingested_at  DateTime64(6, 'UTC')
)
ENGINE = Join(ANY, LEFT, dedup_key);

-- Every later delivery of an event, sharded like usage_events so that an event and its
-- redeliveries live on one shard.
CREATE TABLE IF NOT EXISTS usage_redeliveries_local ON CLUSTER '{cluster}'
(
    tenant_id           String,
    event_id            String,
    event_type          LowCardinality(String),
    event_time          DateTime64(3, 'UTC'),
    subject             String,
    source              LowCardinality(String),
    data                String,
    ingested_at         DateTime64(6, 'UTC'),
    winner_event_type   LowCardinality(String),
    winner_event_time   DateTime64(3, 'UTC'),
    winner_ingested_at  DateTime64(6, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/usage_redeliveries_local', '{replica}')
ORDER BY (tenant_id, winner_event_type, winner_event_time, source, event_id);

CREATE TABLE IF NOT EXISTS usage_redeliveries ON CLUSTER '{cluster}'
(
    tenant_id           String,
    event_id            String,
    event_type          LowCardinality(String),
    event_time          DateTime64(3, 'UTC'),
    subject             String,
    source              LowCardinality(String),
    data                String,
    ingested_at         DateTime64(6, 'UTC'),
    winner_event_type   LowCardinality(String),
    winner_event_time   DateTime64(3, 'UTC'),
    winner_ingested_at  DateTime64(6, 'UTC')
)
ENGINE = Distributed('{cluster}', currentDatabase(), usage_redeliveries_local, cityHash64(tenant_id));

-- The migrator's record (db/clickhouse/migrate.ts creates the same on a single node). No
-- {shard} in the path: every node of the cluster holds the same rows.
CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER '{cluster}'
(
    version     UInt32,
    name        String,
    checksum    String,
    applied_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}')
ORDER BY version;
