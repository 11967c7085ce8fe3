// A real API process over the embedded ClickHouse engine, for the SIGKILL durability test
// and the ingest benchmark. Usage: CH_PATH=<dir> DATABASE_URL=<app role url> node ingest-server.ts
// Prints one JSON line {"port": n} once listening. INGEST_STORAGE=none replaces the
// ClickHouse writer with a no-op (the benchmark's HTTP + parse ceiling); INGEST_STORAGE=plain
// with bare inserts into usage_events, no deduplication (the naive group-commit prototype the
// benchmark compares deduplicating ingest with).
import { createServer } from 'node:http';
import { pino } from 'pino';
import type { Client as TemporalClient } from '@temporalio/client';
import { createApp } from '../../api/app.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { createMeteringRuntime, DEFAULT_INGEST_OPTIONS } from '../../api/ingest/metering-runtime.ts';
import { createMetrics } from '../../api/metrics/metrics.ts';
import { createLineInserter, USAGE_EVENT_COLUMNS, type PendingRow } from '../../db/clickhouse/usage-writer.ts';
import { TEST_AUTH } from './api.ts';

const env = (name: string, fallback?: string) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const ch = await connectClickHouse({ kind: 'embedded', path: env('CH_PATH') });
await migrateClickHouse(ch.client);
function plainWriter() {
  const insert = createLineInserter(ch.client);
  return (rows: readonly PendingRow[]) =>
    insert(
      'usage_events',
      USAGE_EVENT_COLUMNS,
      rows.map((r) => r.line),
    );
}
const pg = await createPgPool(env('DATABASE_URL'), { maxPoolSize: 4 });
const noTemporal = new Proxy(
  {},
  {
    get: (_t, p) =>
      p === 'then'
        ? undefined
        : () => {
            throw new Error('no Temporal in the ingest server');
          },
  },
) as TemporalClient;
const metering = createMeteringRuntime({
  pg,
  clickhouse: ch.client,
  metrics: createMetrics(),
  options: {
    flushRows: num('INGEST_FLUSH_ROWS', DEFAULT_INGEST_OPTIONS.flushRows),
    flushMs: num('INGEST_FLUSH_MS', DEFAULT_INGEST_OPTIONS.flushMs),
    maxQueueRows: num('INGEST_MAX_QUEUE_ROWS', DEFAULT_INGEST_OPTIONS.maxQueueRows),
    flushConcurrency: num('INGEST_FLUSH_CONCURRENCY', DEFAULT_INGEST_OPTIONS.flushConcurrency),
  },
  ...(process.env.INGEST_STORAGE === 'none' ? { writer: async () => {} } : {}),
  ...(process.env.INGEST_STORAGE === 'plain' ? { writer: plainWriter() } : {}),
});
const app = createApp({
  logger: pino({ level: env('LOG_LEVEL', 'silent') as 'silent' }),
  pg,
  clickhouse: ch.client,
  temporal: noTemporal,
  auth: TEST_AUTH,
  metering,
});
const server = createServer(app.koa.callback());
server.keepAliveTimeout = 65_000;
server.listen(num('PORT', 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
const stop = async () => {
  server.close();
  server.closeIdleConnections();
  await metering.stop();
  // Lets a caller compare what is stored with what was acknowledged (the benchmark does).
  const rs = await ch.client.query({ query: 'SELECT count() AS n FROM usage_events', format: 'JSONEachRow' });
  const accepted = (await metering.metrics.eventsAccepted.get()).values[0]?.value ?? 0;
  process.stdout.write(`${JSON.stringify({ rows: Number((await rs.json<{ n: string }>())[0]!.n), accepted })}\n`);
  await pg.end();
  await ch.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
