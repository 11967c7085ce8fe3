import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const SERVER = join(import.meta.dirname, 'ingest-server.ts');

export type IngestServerProcess = { child: ChildProcess; url: string; port: number };

/**
 * Starts `ingest-server.ts` as a child process over the embedded ClickHouse in `chPath` and the
 * database at `databaseUrl`, and resolves once it listens. `port` pins the port (a restart on the
 * same one); `env` adds variables (INGEST_FLUSH_MS and the like).
 */
export async function startIngestServer(opts: {
  chPath: string;
  databaseUrl: string;
  port?: number;
  env?: Record<string, string>;
}): Promise<IngestServerProcess> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      CH_PATH: opts.chPath,
      DATABASE_URL: opts.databaseUrl,
      ...(opts.port !== undefined ? { PORT: String(opts.port) } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]): [string] => [JSON.stringify({ exited: code })]);
  const listening = once(createInterface({ input: child.stdout! }), 'line') as Promise<[string]>;
  const [line] = await Promise.race([listening, exited]);
  if (child.exitCode !== null || line.includes('"exited"')) throw new Error(`the ingest server exited before it listened: ${line}`);
  const { port } = JSON.parse(line) as { port: number };
  return { child, url: `http://127.0.0.1:${port}`, port };
}

/** Stops it: SIGKILL (a crash) or SIGTERM (a clean stop), and waits for the exit. */
export async function stopIngestServer(server: IngestServerProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exit = once(server.child, 'exit');
  server.child.kill(signal);
  await exit;
}
