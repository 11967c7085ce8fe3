import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { checkClusterBase, checkOnCluster, classify } from './cluster-check.ts';

const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');

type Applied = { version: string; checksum: string };

/** The migrator's own table (single node). On a cluster, deploy/clickhouse/cluster.sql creates its replicated form. */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY version`;

/**
 * Applies db/clickhouse/migrations in order and records them in schema_migrations.
 * ClickHouse has no transactions: a file holds one or more statements, each ending with `;`
 * at the end of a line, and each idempotent on its own (IF NOT EXISTS, inserts that skip
 * what is there), so a run interrupted half-way is safe to repeat. A file is recorded only
 * after all its statements ran. Mutations run synchronously (mutations_sync), so what
 * follows a migration sees its result.
 *
 * With `cluster`, the operator has created the sharded schema (deploy/clickhouse/cluster.sql)
 * and no statement runs: a plain CREATE TABLE would make a single-node table on whichever node
 * answered. Each pending migration is checked against that schema instead (cluster-check.ts)
 * and then recorded.
 */
export async function migrateClickHouse(
  client: ClickHouseClient,
  dir: string = MIGRATIONS_DIR,
  opts: { cluster?: string | undefined } = {},
): Promise<string[]> {
  if (opts.cluster) await checkClusterBase(client, opts.cluster);
  else await client.command({ query: SCHEMA_MIGRATIONS_DDL });
  const rs = await client.query({
    query: 'SELECT toString(version) AS version, checksum FROM schema_migrations FINAL',
    format: 'JSONEachRow',
  });
  const done = new Map((await rs.json<Applied>()).map((m) => [Number(m.version), m.checksum]));
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const ran: string[] = [];
  const created: string[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    const version = Number(file.slice(0, 4));
    const checksum = createHash('sha256').update(text).digest('hex');
    const known = done.get(version);
    const statements = statementsOf(text);
    created.push(...statements.map(classify).flatMap((c) => (c.kind === 'create' ? [c.table] : [])));
    if (known !== undefined) {
      if (known !== checksum) throw new Error(`ClickHouse migration ${file} was changed after it was applied`);
      continue;
    }
    if (opts.cluster) await checkOnCluster(client, opts.cluster, file, statements, created);
    else for (const statement of statements) await client.command({ query: statement, clickhouse_settings: { mutations_sync: '2' } });
    await client.insert({ table: 'schema_migrations', values: [{ version, name: file.slice(5, -4), checksum }], format: 'JSONEachRow' });
    ran.push(file.slice(0, -4));
  }
  return ran;
}

/** The statements of a file: split after each `;` that ends a line; comment-only pieces dropped. */
export function statementsOf(text: string): string[] {
  return text
    .split(/;[ \t]*$/m)
    .map((s) => s.trim())
    .filter((s) => s.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--')));
}
