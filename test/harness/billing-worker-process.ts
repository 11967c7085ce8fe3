// A billing worker in its own process, for the crash-safety test: it is killed with SIGKILL
// in the middle of closing a period and another one takes over.
// Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL (the app role), CHDB_PATH, WORKFLOW_BUNDLE_PATH.
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { createPgPool } from '../../db/postgres/pool.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';
import { Client, Connection } from '@temporalio/client';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const pg = await createPgPool(env('DATABASE_URL'), { maxPoolSize: 4 });
const ch = await connectClickHouse({ kind: 'embedded', path: env('CHDB_PATH') });
await migrateClickHouse(ch.client);
const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
const client = new Client({
  connection: await Connection.connect({ address: env('TEMPORAL_ADDRESS') }),
  namespace: env('TEMPORAL_NAMESPACE'),
});
const worker = await createBillingWorker({
  connection,
  namespace: env('TEMPORAL_NAMESPACE'),
  workflowBundlePath: env('WORKFLOW_BUNDLE_PATH'),
  deps: { pg, clickhouse: ch.client, temporal: client },
});
process.stdout.write('ready\n');
await worker.run();
