import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { createTestClickHouse } from './clickhouse.ts';
import { createTestApi, type TestApi } from './api.ts';

export type TestClickHouse = Awaited<ReturnType<typeof createTestClickHouse>>;
export type TestEnvironment = { db: TestDatabase; ch: TestClickHouse; api: TestApi };

/**
 * Registers this file's setup and teardown: a fresh database, a fresh embedded ClickHouse
 * and the real app over them with seeded tenants, users and keys. The returned object is
 * filled in before the first test runs.
 */
export function useTestEnvironment(opts: { api?: Omit<Parameters<typeof createTestApi>[0], 'db' | 'clickhouse'> } = {}): TestEnvironment {
  const env = {} as TestEnvironment;
  beforeAll(async () => {
    [env.db, env.ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
    env.api = await createTestApi({ db: env.db, clickhouse: env.ch.client, ...opts.api });
  });
  afterAll(async () => {
    await Promise.all([env.db?.drop(), env.ch?.dispose()]);
  });
  return env;
}
