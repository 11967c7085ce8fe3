import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../test/harness/free-port.ts';
import { until } from '../../test/harness/until.ts';
import { DEV_SQLITE_PRAGMAS, startTemporalDevServer, type DevServer } from './dev-server.ts';

// The dev server skips fsync (synchronous=off). What that may cost is an OS crash; a crash of the
// server process itself must lose nothing, because every commit has reached the OS by then.

const work = await mkdtemp(join(tmpdir(), 'meterplane-dev-server-'));
const dbFile = join(work, 'temporal.db');
let server: DevServer | undefined;

afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

it('keeps a started workflow across a SIGKILL of the server, and the file is in WAL mode', async () => {
  expect(DEV_SQLITE_PRAGMAS).toContain('synchronous=off');
  const port = await freePort();
  const uiPort = await freePort();
  server = await startTemporalDevServer({ dbFile, port, uiPort });
  const workflowId = `survives-kill-${Date.now()}`;
  // No worker polls this queue: the workflow simply stays running, recorded only in the file.
  await withClient(server.address, (c) => c.workflow.start('nobodyRunsThis', { taskQueue: 'nobody-polls-this', workflowId }));

  const pid = server.pid!;
  process.kill(pid, 'SIGKILL');
  await until('the killed dev server to exit', async () => !alive(pid), 10_000);

  server = await startTemporalDevServer({ dbFile, port, uiPort });
  const described = await withClient(server.address, (c) => c.workflow.getHandle(workflowId).describe());
  expect(described.status.name).toBe('RUNNING');

  // Bytes 18 and 19 of an SQLite header are 2 once the file is in WAL mode (1 for rollback).
  const file = await open(dbFile, 'r');
  const header = Buffer.alloc(20);
  await file.read(header, 0, 20, 0);
  await file.close();
  expect([header[18], header[19]]).toEqual([2, 2]);
});
