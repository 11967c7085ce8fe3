// Engine ceiling: how fast the embedded engine takes the rows ingest writes, with no HTTP,
// no parsing and no validation. Rows are serialised before the clock starts and inserted
// with the same writer, batch size and concurrency as the ingest batcher; with `plain`, as
// bare inserts into usage_events (no deduplication: the naive group commit).
// Usage: node engine-ceiling.ts <empty dir> <rows> <batch rows> <concurrency> [plain]; prints one JSON line.
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import {
  createLineInserter,
  createUsageEventWriter,
  pendingRow,
  USAGE_EVENT_COLUMNS,
  type PendingRow,
} from '../../db/clickhouse/usage-writer.ts';
import { clickhouseTime } from '../../db/clickhouse/time.ts';

const [dir, totalText, batchText, concurrencyText, mode] = process.argv.slice(2);
const total = Number(totalText);
const batchRows = Number(batchText);
const concurrency = Number(concurrencyText);
const ch = await connectClickHouse({ kind: 'embedded', path: dir! });
await migrateClickHouse(ch.client);
const insert = createLineInserter(ch.client);
const write =
  mode === 'plain'
    ? (rows: readonly PendingRow[]) =>
        insert(
          'usage_events',
          USAGE_EVENT_COLUMNS,
          rows.map((r) => r.line),
        )
    : createUsageEventWriter(ch.client);

const time = clickhouseTime(Date.now() - 3_600_000);
const batches: PendingRow[][] = [];
for (let start = 0; start < total; start += batchRows) {
  batches.push(
    Array.from({ length: Math.min(batchRows, total - start) }, (_, i) => {
      const n = start + i;
      return pendingRow({
        tenantId: '00000000-0000-4000-8000-000000000001',
        eventId: `ceiling-${n}`,
        eventType: 'api_call',
        eventTime: time,
        subject: '',
        source: 'bench',
        data: JSON.stringify({ tokens: n % 1000, model: `m${n % 3}` }),
        ingestedAt: `${time}000`,
      });
    }),
  );
}
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < batches.length) await write(batches[next++]!);
  }),
);
const seconds = (performance.now() - started) / 1000;
const rs = await ch.client.query({ query: 'SELECT count() AS n FROM usage_events', format: 'JSONEachRow' });
const rows = Number((await rs.json<{ n: string }>())[0]!.n);
await ch.close();
process.stdout.write(`${JSON.stringify({ rows, seconds, rowsPerSecond: total / seconds })}\n`);
