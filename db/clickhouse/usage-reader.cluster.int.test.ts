// The usage-reader contract again, against the sharded schema (deploy/clickhouse/cluster.sql)
// on a two-shard cluster of the embedded engine (test/harness/clickhouse-cluster.ts), with the
// client's cluster settings.
process.env.MP_TEST_CLICKHOUSE = 'cluster';
await import('./usage-reader.int.test.ts');
