// The batched window read's suite again, on the two-shard cluster (see usage-reader.cluster.int.test.ts).
process.env.MP_TEST_CLICKHOUSE = 'cluster';
await import('./usage-by-window.int.test.ts');
