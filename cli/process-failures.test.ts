import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../test/harness/process-tree.ts';

const FIXTURE = join(import.meta.dirname, 'process-failures.fixture.ts');

/** Runs the fixture; resolves its output so far once `until` appears in it. */
function run(mode: string) {
  // One threadpool thread, so that the fixture's busy work really holds it (see its `throw` mode).
  const proc = spawn(process.execPath, [FIXTURE, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
  });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const seen = async (text: string | RegExp) => {
    const deadline = Date.now() + 10_000;
    while (!(typeof text === 'string' ? output.includes(text) : text.test(output))) {
      if (Date.now() > deadline) throw new Error(`no ${text} within 10 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const childPid = async () => {
    await seen(/child \d+/);
    return Number(/child (\d+)/.exec(output)![1]);
  };
  return { proc, exited, seen, childPid, output: () => output };
}

async function gone(pid: number): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isRunning(pid);
}

describe('a long-running command and failures nothing else caught', () => {
  it('logs an unhandled rejection with its error and keeps serving', async () => {
    const r = run('reject');
    const pid = await r.childPid();
    await r.seen('still serving');
    expect(r.proc.exitCode).toBeNull();
    const line = r
      .output()
      .split('\n')
      .find((l) => l.includes('unhandled promise rejection'));
    expect(JSON.parse(line!)).toMatchObject({
      level: 50,
      err: { message: 'a request lost its handler', stack: expect.stringContaining('process-failures.fixture.ts') },
    });
    r.proc.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(await gone(pid)).toBe(true);
  });

  it('stops every part (child processes included) and exits 1 on an uncaught exception, its fatal line written first even while the threadpool is busy', async () => {
    const r = run('throw');
    const pid = await r.childPid();
    expect(await r.exited).toBe(1);
    const line = r
      .output()
      .split('\n')
      .find((l) => l.includes('uncaught exception'));
    expect(JSON.parse(line!)).toMatchObject({ level: 60, err: { message: 'thrown from a callback' } });
    expect(await gone(pid)).toBe(true);
  });

  it('still kills a child when the command exits before its stop ran (second signal)', async () => {
    const r = run('hang');
    const pid = await r.childPid();
    r.proc.kill('SIGTERM');
    await r.seen('SIGTERM received');
    r.proc.kill('SIGTERM');
    expect(await r.exited).toBe(130);
    expect(await gone(pid)).toBe(true);
  });
});
