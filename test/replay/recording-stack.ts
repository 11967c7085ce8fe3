import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DatabasePool } from 'slonik';
import { loadConfig } from '../../cli/config/load-config.ts';
import type { Config } from '../../cli/config/env-schema.ts';
import { createLogger } from '../../cli/logger.ts';
import { Lifecycle } from '../../cli/lifecycle.ts';
import { openStack } from '../../cli/stack/open-stack.ts';
import { runWorker } from '../../cli/commands/run-worker.ts';
import { serveApi } from '../../cli/commands/serve-api.ts';
import { createAdmin } from '../../cli/admin/create-admin.ts';
import { freePort } from '../harness/free-port.ts';

export type ApiCall = <T = Record<string, unknown>>(
  method: string,
  path: string,
  o?: { body?: unknown; auth?: string; expect?: number },
) => Promise<T>;

export type RecordingStack = {
  config: Config;
  /** The Temporal client of the stack (the dev server). */
  temporal: Client;
  /** The stack's PostgreSQL pool (the app's role), for a scenario that must break what no route may. */
  pg: DatabasePool;
  /** Calls the real HTTP API as the admin (or with `auth`); throws unless the status is `expect` (default 2xx). */
  api: ApiCall;
  stop: () => Promise<void>;
};

/**
 * The production pieces on one machine, as `meterplane start` assembles them: embedded
 * PostgreSQL, embedded ClickHouse (chdb), the Temporal CLI dev server, the billing worker
 * (with its anomaly-scan schedule) and the HTTP API, all in a fresh data folder on free
 * loopback ports. Only the dunning schedule differs from production (seconds instead of days),
 * which changes timer durations and nothing else in the workflows' code paths.
 */
export async function startRecordingStack(opts: { dunningScheduleDays: number[]; log: (line: string) => void }): Promise<RecordingStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'meterplane-replay-'));
  await chmod(dataDir, 0o755); // as root, the embedded PostgreSQL runs as `postgres` and must enter it
  const ports: number[] = [];
  // One at a time: two concurrent probes could be handed the same port.
  for (let i = 0; i < 4; i += 1) ports.push(await freePort());
  const [port, pgPort, temporalPort, uiPort] = ports as [number, number, number, number];
  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    SEED_DEMO: 'false',
    ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
  });
  const logger = createLogger(config.LOG_LEVEL);
  const life = new Lifecycle(opts.log);
  life.add('data folder', () => rm(dataDir, { recursive: true, force: true }));
  life.exitOnSignals();
  try {
    const stack = await openStack(config, logger, life, { migrate: true, temporal: true });
    await runWorker(config, stack, logger, life);
    await serveApi(config, stack, logger, life, { billing: { dunningScheduleDays: opts.dunningScheduleDays } });
    const email = 'replay-recorder@meterplane.local';
    const password = randomBytes(12).toString('base64url');
    await createAdmin(stack.pg, email, password);
    const base = `http://127.0.0.1:${port}/api`;
    const raw = async (method: string, path: string, body: unknown, auth: string | undefined) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? undefined : await res.json().catch(() => undefined) };
    };
    const login = await raw('POST', '/auth/login', { email, password }, undefined);
    if (login.status !== 200) throw new Error(`could not sign in as the recorder's admin (${login.status})`);
    const admin = `Bearer ${(login.body as { token: string }).token}`;
    const api: ApiCall = async (method, path, o = {}) => {
      const res = await raw(method, path, o.body, o.auth ?? admin);
      const ok = o.expect === undefined ? res.status >= 200 && res.status < 300 : res.status === o.expect;
      if (!ok) throw new Error(`${method} /api${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
      return res.body as never;
    };
    return { config, temporal: stack.temporal.client, pg: stack.pg, api, stop: () => life.stopAll() };
  } catch (err) {
    await life.stopAll();
    throw err;
  }
}
