import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import pg from 'pg';
import { migratePostgres, readMigrations } from '../../db/postgres/migrate.ts';

const MIGRATIONS_DIR = join(import.meta.dirname, '../../db/postgres/migrations');

/**
 * A fresh database on the embedded server, for testing one migration against data written the
 * way the schema before it wrote it: `migrateBefore()` applies every migration older than
 * `version`, the test writes its rows with `query` (as the owner, so row-level security does
 * not hide them), and `migrateRest()` applies the rest, returning what ran.
 */
export async function databaseBeforeMigration(version: number) {
  const serverUrl = inject('pgOwnerUrl');
  const name = `m_${randomBytes(6).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const olderDir = await mkdtemp(join(tmpdir(), `migrations-before-${version}-`));
  for (const m of (await readMigrations()).filter((m) => m.version < version)) {
    const file = `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
    await copyFile(join(MIGRATIONS_DIR, file), join(olderDir, file));
  }
  return {
    url,
    async query<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(text, values)).rows as T[];
      } finally {
        await client.end();
      }
    },
    migrateBefore: () => migratePostgres(url, olderDir),
    migrateRest: () => migratePostgres(url),
    async drop() {
      await rm(olderDir, { recursive: true, force: true });
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
