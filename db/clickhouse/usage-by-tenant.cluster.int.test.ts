// The cross-tenant read's suite again, on the two-shard cluster (see usage-reader.cluster.int.test.ts).
process.env.MP_TEST_CLICKHOUSE = 'cluster';
await import('./usage-by-tenant.int.test.ts');
