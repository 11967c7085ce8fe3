// Records the workflow histories that test/replay replays: runs the scenarios against the real
// stack (Temporal CLI dev server, embedded PostgreSQL and ClickHouse, the billing worker, the
// HTTP API) with the workflow code of this checkout, and writes a NEW history set
// test/replay/histories/<date>-<commit>/. Existing sets are never touched (see README.md).
// Usage: npm run replay:record [-- <scenario> ...]   (scenario names: see SCENARIOS)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { findTemporalCli } from '../../cli/temporal/dev-server.ts';
import { HISTORIES_DIR, runEndOf, workflowTypeOf, type HistorySetManifest, type RecordedHistory } from './history-set.ts';
import { exportRuns } from './export-history.ts';
import { startRecordingStack } from './recording-stack.ts';
import { SCENARIOS, prepareFixtures, type Recording } from './scenarios.ts';

// ERROR: the declines and the failing webhook receiver are expected, and the SDK would warn about each.
Runtime.install({ logger: new DefaultLogger('ERROR') });

// Attempts 0, 8.6, 17.3 and 25.9 s after issue: the production schedule (days 0, 3, 5, 7) in seconds.
const DUNNING_SCHEDULE_DAYS = [0, 0.0001, 0.0002, 0.0003];

const started = performance.now();
const log = (line: string) =>
  process.stdout.write(`[replay:record ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const root = join(import.meta.dirname, '../..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

const wanted = process.argv.slice(2);
const scenarios = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
if (scenarios.length !== (wanted.length || SCENARIOS.length)) {
  throw new Error(`unknown scenario in ${wanted.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
}

const commit = git('describe', '--always', '--dirty');
const setName = `${new Date().toISOString().slice(0, 10)}-${commit}`;
const setDir = join(HISTORIES_DIR, setName);
if (existsSync(setDir)) {
  throw new Error(
    `${relative(root, setDir)} exists. Recorded histories stand for running workflows and are never re-recorded; commit first, or remove your own uncommitted set.`,
  );
}

const stack = await startRecordingStack({ dunningScheduleDays: DUNNING_SCHEDULE_DAYS, log });
let exitCode = 0;
try {
  log(`stack up; running ${scenarios.map((s) => s.name).join(', ')}`);
  const fixtures = await prepareFixtures(stack.api);
  const ctx = { api: stack.api, temporal: stack.temporal, pg: stack.pg, config: stack.config, log, fixtures };
  const recordings: Recording[] = (await Promise.all(scenarios.map((s) => s(ctx)))).flat();
  await fixtures.uncollectibleHook.receiver.close();
  const histories: RecordedHistory[] = [];
  const files: { file: string; json: string }[] = [];
  for (const rec of recordings) {
    const runs = await exportRuns(stack.temporal, rec.workflowId);
    if (runs.length !== rec.covers.length) throw new Error(`${rec.name}: ${runs.length} runs recorded, ${rec.covers.length} described`);
    rec.check?.(runs);
    runs.forEach((r, i) => {
      const file = runs.length === 1 ? `${rec.name}.json` : `${rec.name}.run-${i + 1}.json`;
      files.push({ file, json: r.json });
      histories.push({
        file,
        workflowType: workflowTypeOf(r.history),
        workflowId: rec.workflowId,
        runId: r.runId,
        scenario: rec.scenario,
        covers: rec.covers[i]!,
        run: i + 1,
        runs: runs.length,
        end: runEndOf(r.history),
        events: r.history.events.length,
      });
    });
  }
  const require = createRequire(import.meta.url);
  const sdk = JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as { version: string };
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  const manifest: HistorySetManifest = {
    recordedAt: new Date().toISOString(),
    commit,
    workflowsModified: git('status', '--porcelain', '--', 'workflows').length > 0,
    sdkVersion: sdk.version,
    temporalCli: cli ? execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim() : 'downloaded by the SDK',
    dunningScheduleDays: DUNNING_SCHEDULE_DAYS,
    recordingSeconds: Math.round((performance.now() - started) / 1000),
    histories,
  };
  await mkdir(setDir, { recursive: true });
  for (const f of files) await writeFile(join(setDir, f.file), `${f.json}\n`);
  await writeFile(join(setDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${files.length} histories and manifest.json to ${relative(root, setDir)}`);
} catch (err) {
  exitCode = 1;
  process.stderr.write(`replay:record failed: ${(err as Error).stack ?? String(err)}\n`);
} finally {
  await stack.stop();
}
process.exit(exitCode);
