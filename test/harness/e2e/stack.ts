import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type StackInfo = {
  baseUrl: string;
  temporalAddress: string;
  admin: { email: string; password: string };
  dataDir: string;
};

const ROOT = new URL('../../..', import.meta.url).pathname;

export { freePort } from '../free-port.ts';
import { freePort } from '../free-port.ts';

const READY_TIMEOUT_MS = 120_000;

/**
 * The real all-in-one stack (`meterplane start`) on free ports with a fresh DATA_DIR,
 * resolved once it prints that it is ready.
 */
export async function startStack(): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  const [port, pgPort, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const dataDir = await mkdtemp(join(tmpdir(), 'meterplane-e2e-'));
  const admin = { email: 'admin@example.com', password: 'e2e admin password' };
  const child = spawn(process.execPath, [join(ROOT, 'cli/meterplane.ts'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      // The journeys create their own data; the demo seed would load the machine meanwhile.
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the stack was not ready within ${READY_TIMEOUT_MS} ms:\n${output.slice(-4000)}`)),
        READY_TIMEOUT_MS,
      );
      const check = (d: Buffer) => {
        output += d.toString();
        if (output.includes('Meterplane is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack exited with ${code} before it was ready:\n${output.slice(-4000)}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { info: { baseUrl: `http://127.0.0.1:${port}`, temporalAddress: `127.0.0.1:${temporalPort}`, admin, dataDir }, stop };
}

/** SIGTERM (the stack stops its children itself), then SIGKILL after 30 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
