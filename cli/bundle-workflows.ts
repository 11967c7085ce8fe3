import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './temporal/create-worker.ts';

// Used at image build time so workers start without bundling (WORKFLOW_BUNDLE_PATH).
const out = process.argv[2] ?? 'workflow-bundle.js';
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
await writeFile(out, code);
console.log(`wrote ${out} (${code.length} bytes)`);
