// node bench/invoicing/probe.ts: the bare no-op ceiling on a fresh dev server, to isolate one
// setting at a time (never part of npm test). N workflows (default 200) wait WAIT_MS, then make
// CALLS empty activity calls each (WF=noopLocalCloseWorkflow: as local activities). PRAGMAS
// (comma-separated SQLite pragmas), MEM=1 (in-memory SQLite), DYN (space-separated dynamic config
// KEY=VALUE), WOPTS (JSON worker options). Prints one JSON line: the rate, and the CPU seconds
// the dev server and this process used. Bounded by MAX_MS (default 240 s).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../../test/harness/global-setup.ts';

const N = Number(process.env.N ?? 200);
const CALLS = Number(process.env.CALLS ?? 6);
const pragmas = (process.env.PRAGMAS ?? 'journal_mode=wal').split(',').filter(Boolean);
const inMemory = process.env.MEM === '1';
const wopts = JSON.parse(process.env.WOPTS ?? '{}');
Runtime.install({ logger: new DefaultLogger('WARN') });
const work = await mkdtemp(join(tmpdir(), 'probe-'));
const port = await freePort();
const args = [
  'server',
  'start-dev',
  '--ip',
  '127.0.0.1',
  '--port',
  String(port),
  '--headless',
  '--log-level',
  'warn',
  ...(inMemory ? [] : ['--db-filename', join(work, 't.db')]),
  ...pragmas.flatMap((p) => ['--sqlite-pragma', p]),
  ...(process.env.DYN ?? '')
    .split(' ')
    .filter(Boolean)
    .flatMap((d) => ['--dynamic-config-value', d]),
];
const child = spawn('temporal', args, { stdio: ['ignore', 'ignore', 'ignore'] });
const address = `127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    const c = await Connection.connect({ address, connectTimeout: 1000 });
    await c.workflowService.getSystemInfo({});
    await c.close();
    break;
  } catch {
    if (i > 200) throw new Error('no server');
    await new Promise((r) => setTimeout(r, 250));
  }
}
const cpu = async (pid: number) => {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const nc = await NativeConnection.connect({ address });
const client = new Client({ connection: await Connection.connect({ address }) });
const q = `probe-${randomUUID()}`;
const worker = await Worker.create({
  connection: nc,
  namespace: 'default',
  taskQueue: q,
  workflowsPath: fileURLToPath(new URL('./noop-workflow.ts', import.meta.url)),
  activities: { noop: async () => {} },
  ...wopts,
});
const running = worker.run();
const T = Date.now() + Number(process.env.WAIT_MS ?? 15000);
const hs = [];
for (let i = 0; i < N; i += 50)
  hs.push(
    ...(await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, () =>
        client.workflow.start(process.env.WF ?? 'noopCloseWorkflow', {
          taskQueue: q,
          workflowId: `n-${randomUUID()}`,
          args: [new Date(T).toISOString(), CALLS],
        }),
      ),
    )),
  );
const late = Date.now() > T;
await new Promise((r) => setTimeout(r, Math.max(0, T - Date.now())));
const spid = child.pid!;
const c0 = await cpu(spid);
const p0 = process.cpuUsage();
const timeout = setTimeout(
  () => {
    console.log('TIMEOUT');
    process.exit(2);
  },
  Number(process.env.MAX_MS ?? 240000),
);
await Promise.all(hs.map((h) => h.result()));
clearTimeout(timeout);
const s = (Date.now() - T) / 1000;
const c1 = await cpu(spid);
const p1 = process.cpuUsage(p0);
console.log(
  JSON.stringify({
    N,
    CALLS,
    pragmas,
    inMemory,
    wopts,
    late,
    seconds: s,
    wfPerS: N / s,
    actPerS: (N * CALLS) / s,
    serverCpuS: c1 - c0,
    nodeCpuS: (p1.user + p1.system) / 1e6,
  }),
);
worker.shutdown();
await running;
await nc.close();
await client.connection.close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await rm(work, { recursive: true, force: true });
process.exit(0);
