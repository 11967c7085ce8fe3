import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../cli/temporal/create-worker.ts';

// Every new workflow run (and every replay after an eviction) evaluates each module the bundle
// holds, so what the workflows import is paid on every close. zod's schemas and decimal.js were
// a fifth of the workflow thread's time; the workflows import domain files directly, not the
// indexes that pull them in. A value import through an index brings them back and fails here.
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('the workflow bundle', () => {
  it('holds no schema library, decimal arithmetic or domain index', { timeout: 60_000 }, async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
    const modules = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1]!);
    // The bundle lists its modules this way: an empty list would make the checks below pass vacuously.
    expect(modules).toContain('./workflows/subscription/subscription-workflow.ts');
    expect(modules.filter((m) => /node_modules\/(zod|decimal\.js)\//.test(m))).toEqual([]);
    expect(modules.filter((m) => /^\.\/domain\/.*\/index\.ts$/.test(m) && m !== './domain/concurrency/index.ts')).toEqual([]);
    expect(modules.filter((m) => /^\.\/domain\/(money|pricing|metering|proration)\//.test(m))).toEqual([]);
  });
});
