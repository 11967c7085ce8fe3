import { defineConfig } from 'vitest/config';

// Two projects: unit tests (pure, beside their code, *.test.ts) and integration tests
// (*.int.test.ts) that get real PostgreSQL, ClickHouse and Temporal from the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{api,workflows,activities,domain,db,cli,deploy,test,packages}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{api,workflows,activities,domain,db,cli,deploy,test,packages}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/harness/global-setup.ts'],
          setupFiles: ['test/harness/setup-file.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // chdb binds one data directory per process: each test file gets its own fork.
          pool: 'forks',
          maxWorkers: 2,
          isolate: true,
        },
      },
    ],
  },
});
