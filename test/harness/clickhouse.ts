import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClickHouse, type ClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';

/**
 * The embedded engine in a fresh data folder, migrated. chdb binds one folder per
 * process, and each integration test file runs in its own process, so call this once
 * per file.
 */
export async function createTestClickHouse(): Promise<ClickHouse & { dispose: () => Promise<void> }> {
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
