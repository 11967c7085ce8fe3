import { defineConfig } from 'vitest/config';

// The dashboard's end-to-end journeys: a real browser (Debian's Chromium through
// playwright-core) against the real all-in-one stack (`meterplane start`), started once by the
// global setup. Run with `npm run test:e2e` (which builds the dashboard first if needed).
export default defineConfig({
  test: {
    name: 'e2e',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/harness/e2e/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One stack, one browser at a time: the journeys share the server and 2 cores.
    fileParallelism: false,
    pool: 'forks',
  },
});
