// Deduplication at ingest again, on the two-shard cluster of the embedded engine
// (test/harness/clickhouse-cluster.ts): the Join index on the node the client is connected to,
// usage_events and usage_redeliveries Distributed over it, with the client's cluster settings.
process.env.MP_TEST_CLICKHOUSE = 'cluster';
await import('./dedup.int.test.ts');
