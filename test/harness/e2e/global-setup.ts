import type { TestProject } from 'vitest/node';
import { startStack, type StackInfo } from './stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

/** One all-in-one stack for every journey; stopped (children included) when the run ends. */
export default async function setup(project: TestProject) {
  const started = performance.now();
  const { info, stop } = await startStack();
  process.stdout.write(`e2e: stack ready at ${info.baseUrl} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  // Warm up the first page render and the first sign-in, so no journey pays for them.
  await fetch(`${info.baseUrl}/login`).then((r) => r.text());
  await fetch(`${info.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(info.admin),
  }).then((r) => r.text());
  project.provide('stack', info);
  return stop;
}
