/**
 * A long-running command in miniature for process-failures.test.ts: runService with one
 * child process (as embedded PostgreSQL and the Temporal dev server are), then the failure
 * named by argv[2]: `reject` (a promise loses its handler), `throw` (an exception escapes a
 * callback), or `hang` (a part never finishes stopping).
 */
import { spawn } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import type { Config } from './config/env-schema.ts';
import { runService } from './commands/run-service.ts';

const mode = process.argv[2];
await runService({ LOG_LEVEL: 'info' } as Config, async ({ life }) => {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  life.add(
    'child',
    async () => {
      child.kill('SIGTERM');
      await exited;
    },
    () => child.kill('SIGKILL'),
  );
  if (mode === 'hang') life.add('stuck part', () => new Promise(() => {}));
  process.stdout.write(`child ${child.pid}\n`);
  if (mode === 'reject') {
    void Promise.reject(new Error('a request lost its handler'));
    setTimeout(() => process.stdout.write('still serving\n'), 200);
  }
  if (mode === 'throw')
    setTimeout(() => {
      // Other work holds the libuv threadpool (one thread here: the test sets
      // UV_THREADPOOL_SIZE=1), as file, DNS and crypto work of other requests does under load.
      pbkdf2('busy', 'salt', 2_000_000, 32, 'sha256', () => {});
      throw new Error('thrown from a callback');
    }, 50);
});
