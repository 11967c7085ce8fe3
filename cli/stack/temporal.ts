import { join, resolve } from 'node:path';
import type { Config } from '../config/env-schema.ts';
import { startTemporalDevServer } from '../temporal/dev-server.ts';
import type { TemporalTarget } from '../temporal/connect.ts';

export type TemporalEndpoint = {
  target: TemporalTarget;
  uiUrl: string | undefined;
  devServerPid?: number;
  stop: () => Promise<void>;
  kill?: () => void;
};

/** TEMPORAL_ADDRESS when set, else the Temporal CLI dev server persisting under DATA_DIR. */
export async function openTemporal(config: Config, log: (line: string) => void): Promise<TemporalEndpoint> {
  const tls = { tlsCertPath: config.TEMPORAL_TLS_CERT, tlsKeyPath: config.TEMPORAL_TLS_KEY };
  if (config.TEMPORAL_ADDRESS) {
    return {
      target: { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, ...tls },
      uiUrl: config.TEMPORAL_UI_URL,
      stop: async () => {},
    };
  }
  const dev = await startTemporalDevServer({
    cliPath: config.TEMPORAL_CLI_PATH,
    dbFile: resolve(join(config.DATA_DIR, 'temporal.db')),
    port: config.TEMPORAL_DEV_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    onLog: log,
  });
  return {
    target: { address: dev.address, namespace: 'default' },
    uiUrl: config.TEMPORAL_UI_URL ?? dev.uiUrl,
    devServerPid: dev.pid,
    stop: dev.stop,
    kill: dev.kill,
  };
}
