import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { connect } from 'node:net';
import { freePort } from '../harness/global-setup.ts';
import { descendantsOf, isRunning, commandOf } from '../harness/process-tree.ts';

const CLI = join(import.meta.dirname, '../../cli/meterplane.ts');

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function startStack(env: Record<string, string>): Started {
  let output = '';
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Polls `probe` until it returns true; fails with the stack's output after `ms`. */
async function until(probe: () => Promise<boolean> | boolean, ms: number, what: string, s: Started): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (s.child.exitCode !== null) throw new Error(`stack exited (${s.child.exitCode}) while waiting for ${what}:\n${s.output()}`);
    if (await probe().valueOf()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}:\n${s.output()}`);
}

const answers = (url: string) => async () => {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
};

let dataDir: string;
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('meterplane start (all-in-one)', () => {
  it('reaches /ready, serves Temporal UI, stops every child on SIGTERM, and keeps data across restarts', async () => {
    // A private DATA_DIR (mkdtemp makes it 0700), left as it is: as root, `start` itself lets
    // the `postgres` user through to its data.
    dataDir = await mkdtemp(join(tmpdir(), 'meterplane-start-'));
    const [port, pgPort, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      ADMIN_EMAIL: 'first@example.test',
      ADMIN_PASSWORD: 'first admin password',
      SEED_DEMO: 'false',
    };
    const login = (email: string, password: string) =>
      fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });

    // Given a fresh DATA_DIR, when the stack starts, then /ready answers 200 within 90 s.
    const first = startStack(env);
    const started = Date.now();
    await until(answers(`http://127.0.0.1:${port}/ready`), 90_000, '/ready', first);
    const coldStartMs = Date.now() - started;
    await until(answers(`http://127.0.0.1:${uiPort}/`), 30_000, 'Temporal UI', first);
    expect(coldStartMs).toBeLessThan(90_000);

    // A WebSocket upgrade with an undecodable session cookie, before any login, once ended the
    // whole process: now it counts as no credential (the client may still send an auth message)
    // and the stack keeps serving.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: mp_session=%E0%A4%A\r\n\r\n`,
        ),
      );
      let received = '';
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        resolve(received);
      }, 1_500);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(first.child.exitCode).toBeNull();
    expect(await answers(`http://127.0.0.1:${port}/ready`)()).toBe(true);

    // The first admin exists on a new DATA_DIR; `meterplane admin create` works beside the running stack.
    expect((await login('first@example.test', 'first admin password')).status).toBe(200);
    const created = spawnSync(
      process.execPath,
      [CLI, 'admin', 'create', '--email', 'second@example.test', '--password', 'second admin password'],
      { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/created admin second@example.test/);
    expect((await login('second@example.test', 'second admin password')).status).toBe(200);
    const again = spawnSync(
      process.execPath,
      [CLI, 'admin', 'create', '--email', 'second@example.test', '--password', 'second admin password'],
      { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists/);

    // Write a row through the embedded PostgreSQL to find again after the restart.
    const ownerUrl = `postgres://postgres:meterplane-embedded@127.0.0.1:${pgPort}/postgres`;
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    await client.query(`INSERT INTO tenants (name, external_id) VALUES ('survivor', 'survivor-1')`);
    await client.end();

    const children = descendantsOf(first.child.pid!);
    const commands = children.map(commandOf).join('\n');
    expect(commands).toMatch(/postgres/);
    expect(commands).toMatch(/temporal server start-dev/);

    // When SIGTERM arrives, then the process exits 0 within 10 s and no child is left.
    first.child.kill('SIGTERM');
    const code = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(code).toBe(0);
    const deadline = Date.now() + 5_000;
    while (children.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(children.filter(isRunning).map(commandOf)).toEqual([]);

    // Given the same DATA_DIR, when the stack starts again, then the data is still there.
    const second = startStack(env);
    try {
      await until(answers(`http://127.0.0.1:${port}/ready`), 90_000, '/ready after restart', second);
      const again = new pg.Client({ connectionString: ownerUrl });
      await again.connect();
      const { rows } = await again.query(`SELECT name FROM tenants WHERE external_id = 'survivor-1'`);
      await again.end();
      expect(rows).toEqual([{ name: 'survivor' }]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
