/**
 * Builds the dashboard when its build is missing or older than its sources, so that
 * `npm start` works on a fresh clone right after `npm ci` (it runs as `prestart`).
 * A warm check takes milliseconds; a build about 10 s on two cores.
 *
 *   node cli/dashboard/ensure-build.ts [--force]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dashboard = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const INPUTS = ['src', 'static', 'vite.config.ts', 'package.json', 'tsconfig.json'];

/** The newest modification time under the given paths (files or folders). */
export function newestMtime(root: string, paths: readonly string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return newest;
}

export function buildIsStale(root = dashboard): boolean {
  const output = join(root, 'build', 'handler.js');
  if (!existsSync(output)) return true;
  return newestMtime(root, INPUTS) > statSync(output).mtimeMs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--force') || buildIsStale()) {
    process.stdout.write('dashboard: building (its build is missing or older than its sources)\n');
    const started = performance.now();
    const run = spawnSync('npm', ['run', 'build', '--workspace=@meterplane/dashboard', '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (run.status !== 0) {
      process.stderr.write('dashboard: the build failed (see above); run `npm run build:dashboard` for the full output\n');
      process.exit(run.status ?? 1);
    }
    process.stdout.write(`dashboard: built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
