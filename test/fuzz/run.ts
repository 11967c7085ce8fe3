// Fuzzes the API with schemathesis against a real all-in-one stack, once as an admin and once as
// a customer. Starts `meterplane start` on free ports with a fresh DATA_DIR, signs the admin in,
// registers a customer, runs both schemathesis runs at once, stops the stack, prints the figures
// and exits non-zero when either run failed. Usage: node test/fuzz/run.ts <path of st>
// (test/fuzz/run.sh installs schemathesis and bounds the whole step in time).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/free-port.ts';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test-results/fuzz');
const st = process.argv[2];
if (!st) throw new Error('usage: node test/fuzz/run.ts <path of the schemathesis `st` binary>');

/** Cases per operation and phase; with the stateful phase this gives each run over 3,000 cases. */
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 16);
const ADMIN = { email: 'fuzz-admin@example.test', password: 'fuzz admin password' };
const CUSTOMER = { email: 'fuzz-customer@example.test', password: 'fuzz customer password', tenantName: 'Fuzz customer' };

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const log = (line: string) => process.stdout.write(`fuzz: ${line}\n`);
const children = new Set<ChildProcess>();

async function startStack(dataDir: string) {
  const [port, pgPort, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    SEED_DEMO: 'false',
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
  const logFile = createWriteStream(join(OUT, 'stack.log'));
  // Its own process group, so that a stack that does not stop in time can be killed whole.
  const child = spawn(process.execPath, [join(ROOT, 'cli/meterplane.ts'), 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.stdout!.pipe(logFile);
  child.stderr!.pipe(logFile);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the stack exited (${child.exitCode}) before it was ready; see ${join(OUT, 'stack.log')}`);
    const ready = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, base };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the stack was not ready within 120 s; see ${join(OUT, 'stack.log')}`);
}

async function stopStack(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

async function postJson(url: string, body: object, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { token?: string };
  if (!res.ok || !json.token) throw new Error(`POST ${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json.token;
}

type RunResult = {
  name: string;
  exitCode: number | null;
  generated: number;
  failures: Record<string, number>;
  errors: number;
  output: string;
};

/** One schemathesis run; its whole output goes to a file, its summary to the console. */
async function fuzz(name: string, base: string, token: string): Promise<RunResult> {
  await mkdir(join(OUT, name), { recursive: true });
  const args = [
    '--config-file',
    join(import.meta.dirname, 'schemathesis.toml'),
    'run',
    `${base}/api/openapi.json`,
    '--url',
    base,
    '-H',
    `Authorization: Bearer ${token}`,
    '--max-examples',
    String(MAX_EXAMPLES),
    // One worker each: the two runs go side by side, and CPython 3.11's ast module is not
    // thread-safe where hypothesis describes lambdas ("AST constructor recursion depth mismatch").
    '--workers',
    '1',
    '--generation-allow-x00',
    'false',
    // The same cases on every run, so a failure in CI reproduces; FUZZ_SEED explores others.
    '--seed',
    process.env.FUZZ_SEED ?? '20261202',
    '--request-timeout',
    '30',
    '--no-color',
    '--report',
    'junit',
    '--report-junit-path',
    join(OUT, `${name}.junit.xml`),
  ];
  // Run inside the report folder: schemathesis and hypothesis keep their caches in the working
  // directory, and each run starts from none.
  const cwd = join(OUT, name);
  const child = spawn(st!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      resolve({ name, exitCode: code, ...figures(output), output });
    });
  });
}

/** The figures schemathesis prints in its summary: cases generated, failures by kind, errors. */
function figures(output: string) {
  const generated = Number(/Test cases:\s*\n\s*(\d+) generated/.exec(output)?.[1] ?? NaN);
  const failures: Record<string, number> = {};
  const block = /\nFailures:\n((?:\s+❌ .+\n)+)/.exec(output)?.[1] ?? '';
  for (const m of block.matchAll(/❌ (.+): (\d+)/g)) failures[m[1]!] = Number(m[2]);
  const errors = [...(/\nErrors:\n((?:\s+🚫 .+\n)+)/.exec(output)?.[1] ?? '').matchAll(/: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  return { generated, failures, errors };
}

function section(output: string, title: string, maxLines: number): string {
  const start = output.search(new RegExp(`^=+ ${title} =+$`, 'm'));
  if (start < 0) return '';
  const rest = output.slice(start).split('\n');
  const end = rest.findIndex((line, i) => i > 0 && /^=+ [A-Z ]+ =+$/.test(line));
  const lines = rest.slice(0, end < 0 ? undefined : end);
  return lines.length > maxLines
    ? [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines in the report)`].join('\n')
    : lines.join('\n');
}

async function main(): Promise<number> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'meterplane-fuzz-'));
  // As root, the embedded PostgreSQL runs as the `postgres` user, which must enter DATA_DIR.
  await chmod(dataDir, 0o755);
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  try {
    stack = await startStack(dataDir);
    log(`stack ready at ${stack.base} after ${elapsed()}`);
    const adminToken = await postJson(`${stack.base}/api/auth/login`, ADMIN);
    const customerToken = await postJson(`${stack.base}/api/auth/register`, CUSTOMER);
    log(`schemathesis: two runs side by side (admin, customer), --max-examples ${MAX_EXAMPLES}, every check (schemathesis.toml)`);
    const results = await Promise.all([fuzz('admin', stack.base, adminToken), fuzz('customer', stack.base, customerToken)]);
    const serverErrorsLogged = ((await readFile(join(OUT, 'stack.log'), 'utf8')).match(/"msg":"unhandled error"/g) ?? []).length;
    let failed = false;
    for (const r of results) {
      await writeFile(join(OUT, `${r.name}.txt`), r.output);
      const failureCount = Object.values(r.failures).reduce((a, b) => a + b, 0);
      const ok = r.exitCode === 0 && failureCount === 0 && r.errors === 0 && r.generated >= 3000;
      failed ||= !ok;
      const kinds =
        Object.entries(r.failures)
          .map(([k, n]) => `${k}: ${n}`)
          .join('; ') || 'none';
      log(
        `${r.name}: ${r.generated} cases generated, ${failureCount} failures (${kinds}), ${r.errors} errors, exit ${r.exitCode} → ${ok ? 'ok' : 'FAILED'}`,
      );
      if (!ok) {
        process.stdout.write(
          `${section(r.output, 'FAILURES', 150)}\n${section(r.output, 'ERRORS', 60)}\n${section(r.output, 'SUMMARY', 60)}\n`,
        );
        if (r.generated < 3000) log(`${r.name}: fewer than 3,000 cases generated`);
      }
    }
    log(`stack logged ${serverErrorsLogged} unhandled errors; reports in ${OUT}`);
    if (serverErrorsLogged > 0) failed = true;
    return failed ? 1 : 0;
  } finally {
    if (stack) await stopStack(stack.child);
    await rm(dataDir, { recursive: true, force: true });
    log(`finished in ${elapsed()}`);
  }
}

// A hard timeout (run.sh) sends SIGTERM: stop what was started before going.
process.once('SIGTERM', () => {
  log('stopped by SIGTERM; stopping the stack and schemathesis');
  for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  process.exit(124);
});

process.exitCode = await main().catch((err: unknown) => {
  process.stderr.write(`fuzz: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
});
