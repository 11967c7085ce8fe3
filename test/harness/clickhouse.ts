import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClickHouse, type ClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import { clickhouseMicroTime, clickhouseTime } from '../../db/clickhouse/time.ts';
import { createUsageEventWriter, pendingRow, type UsageEventRow } from '../../db/clickhouse/usage-writer.ts';
import type { Delivery } from '../../domain/metering/index.ts';
import { createTestClusterClickHouse } from './clickhouse-cluster.ts';

/**
 * The embedded engine in a fresh data folder, migrated. chdb binds one folder per
 * process, and each integration test file runs in its own process, so call this once
 * per file. With MP_TEST_CLICKHOUSE=cluster, the same engine as a two-shard cluster behind
 * Distributed tables (clickhouse-cluster.ts).
 */
export async function createTestClickHouse(): Promise<ClickHouse & { dispose: () => Promise<void> }> {
  if (process.env.MP_TEST_CLICKHOUSE === 'cluster') return createTestClusterClickHouse();
  const dir = await mkdtemp(join(tmpdir(), 'meterplane-test-ch-'));
  const ch = await connectClickHouse({ kind: 'embedded', path: dir });
  await migrateClickHouse(ch.client);
  return {
    ...ch,
    dispose: async () => {
      await ch.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A reference delivery (domain/metering's model) of one tenant, as the usage tests write it. */
export type TenantDelivery = Delivery & { tenantId: string };

/**
 * Writes reference deliveries through the production writer. Their `ingestedAt` ticks become
 * microseconds after 2026-03-01, so the order the reference model sees is the order stored.
 */
export async function writeDeliveries(client: ClickHouse['client'], batch: readonly TenantDelivery[]): Promise<void> {
  const base = Date.UTC(2026, 2, 1);
  await createUsageEventWriter(client)(
    batch.map((d) =>
      pendingRow({
        tenantId: d.tenantId,
        eventId: d.id,
        eventType: d.type,
        eventTime: clickhouseTime(d.timeMs),
        subject: '',
        source: 'test',
        data: JSON.stringify(d.data),
        ingestedAt: clickhouseMicroTime(base * 1000 + Number(d.ingestedAt)),
      }),
    ),
  );
}

/**
 * A maker of usage rows as the writer receives them: an `llm` event of 2026-01-10 from source
 * `svc` with the given data, each row accepted one microsecond after the one before (from
 * 2026-03-01), so the acceptance order is the order of the calls. Fields can be overridden.
 */
export function usageRowMaker(data: string): (tenantId: string, eventId: string, o?: Partial<UsageEventRow>) => UsageEventRow {
  let stamp = 0;
  return (tenantId, eventId, o = {}) => {
    stamp += 1;
    return {
      tenantId,
      eventId,
      eventType: 'llm',
      eventTime: '2026-01-10 00:00:00.000',
      subject: '',
      source: 'svc',
      data,
      ingestedAt: `2026-03-01 00:00:00.${String(stamp).padStart(6, '0')}`,
      ...o,
    };
  };
}
