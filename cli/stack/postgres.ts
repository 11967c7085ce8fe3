import { join, resolve } from 'node:path';
import type { DatabasePool } from 'slonik';
import type { Config } from '../config/env-schema.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { migratePostgres } from '../../db/postgres/migrate.ts';
import { appRoleUrl, enableAppRoleLogin } from '../../db/postgres/app-role.ts';
import { startEmbeddedPostgres } from '../../db/postgres/embedded.ts';

export type PostgresHandle = { pool: DatabasePool; embedded: boolean; close: () => Promise<void>; kill: () => void };

/**
 * DATABASE_URL when set, else the embedded server under DATA_DIR. Migrations run with
 * the owner role; the returned pool connects as the app role, which RLS binds.
 */
export async function openPostgres(
  config: Config,
  opts: { migrate: boolean; appRolePassword: string; log: (line: string) => void; debug: (line: string) => void },
): Promise<PostgresHandle> {
  let ownerUrl = config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL;
  let appUrl = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let kill = () => {};
  if (!ownerUrl) {
    const embedded = await startEmbeddedPostgres({
      dataDir: resolve(join(config.DATA_DIR, 'postgres')),
      port: config.EMBEDDED_PG_PORT,
      onLog: opts.debug,
      onNotice: opts.log,
    });
    ownerUrl = embedded.ownerUrl;
    stopEmbedded = embedded.stop;
    kill = embedded.kill;
  }
  if (opts.migrate || stopEmbedded) {
    const ran = await migratePostgres(ownerUrl);
    if (ran.length) opts.log(`PostgreSQL migrations applied: ${ran.join(', ')}`);
    if (stopEmbedded) await enableAppRoleLogin(ownerUrl, opts.appRolePassword);
  }
  if (stopEmbedded || !appUrl) appUrl = appRoleUrl(ownerUrl, opts.appRolePassword);
  const pool = await createPgPool(appUrl);
  return {
    pool,
    embedded: Boolean(stopEmbedded),
    kill,
    close: async () => {
      await pool.end();
      await stopEmbedded?.();
    },
  };
}
