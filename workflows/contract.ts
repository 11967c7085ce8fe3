// The small module api/ may import: names, inputs, and message definitions.
// No workflow implementation lives here.
export const TASK_QUEUE = 'billing';

export type { SelfCheckResult } from '../activities/self-check.ts';
