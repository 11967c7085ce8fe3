import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export type TemporalTarget = { address: string; namespace: string; tlsCertPath?: string; tlsKeyPath?: string };

async function tlsOptions(t: TemporalTarget) {
  if (!t.tlsCertPath || !t.tlsKeyPath) return undefined;
  const [crt, key] = await Promise.all([readFile(t.tlsCertPath), readFile(t.tlsKeyPath)]);
  return { clientCertPair: { crt, key } };
}

/** The one place a Temporal client is created (API, CLI, tests). */
export async function connectTemporalClient(t: TemporalTarget): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: t.address, tls: await tlsOptions(t) });
  const client = new Client({ connection, namespace: t.namespace });
  return { client, close: () => connection.close() };
}

export async function connectTemporalWorker(t: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({ address: t.address, tls: await tlsOptions(t) });
}
