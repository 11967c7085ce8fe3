import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { WebSocket } from 'ws';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { createTestClickHouse } from './clickhouse.ts';
import { createTestApi, TEST_AUTH, type TestApi } from './api.ts';
import { WsTestClient } from './ws-client.ts';
import { exchange, upgradeRequest } from './raw-socket.ts';
import { createPrincipalResolver } from '../../api/auth/principal.ts';
import {
  createRealtimeHub,
  createUsageTickPublisher,
  type RealtimeHub,
  type RealtimeHubOptions,
  type UsageTickPublisher,
} from '../../api/realtime/index.ts';

export type RealtimeServer = { server: Server; hub: RealtimeHub; port: number; url: string; origin: string; stop: () => Promise<void> };

export type RealtimeEnvironment = {
  db: TestDatabase;
  api: TestApi;
  ticks: UsageTickPublisher;
  /** The app's own log lines at warn and above (to check what it reports outside the error middleware). */
  appLog: string[];
  /** The API's HTTP server with a WebSocket hub attached, on a free loopback port. */
  serve(options?: Partial<RealtimeHubOptions>): Promise<RealtimeServer>;
  /** A recording client, closed after each test. */
  connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): WsTestClient;
};

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** `Authorization: Bearer <token>` as WebSocket client options. */
export const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/**
 * Registers this file's setup for the realtime tests: a fresh database and ClickHouse, the real
 * app over them with a usage-tick publisher, and `serve` for as many hubs as a test wants.
 */
export function useRealtimeEnvironment(): RealtimeEnvironment {
  const clients: WsTestClient[] = [];
  let ch: Awaited<ReturnType<typeof createTestClickHouse>> | undefined;
  const env = {
    appLog: [] as string[],
    async serve(options: Partial<RealtimeHubOptions> = {}) {
      const server = createServer(env.api.app.koa.callback());
      const hub = createRealtimeHub({
        pg: env.db.pool,
        principalOfHeaders: createPrincipalResolver(TEST_AUTH, env.db.pool),
        logger,
        authTimeoutMs: 300,
        ...options,
      });
      await hub.start();
      hub.attach(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      return {
        server,
        hub,
        port,
        url: `ws://127.0.0.1:${port}/api/ws`,
        origin: `http://127.0.0.1:${port}`,
        stop: async () => {
          await hub.close();
          await new Promise((resolve) => server.close(resolve));
        },
      };
    },
    connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]) {
      const c = new WsTestClient(url, options);
      clients.push(c);
      return c;
    },
  } as RealtimeEnvironment;
  beforeAll(async () => {
    [env.db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
    env.ticks = createUsageTickPublisher(env.db.pool, { logger });
    const appLogger = pino({ level: 'warn' }, { write: (line: string) => env.appLog.push(line) });
    env.api = await createTestApi({ db: env.db, clickhouse: ch.client, deps: { usageTicks: env.ticks, logger: appLogger } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await env.ticks?.stop();
    await Promise.all([env.db?.drop(), ch?.dispose()]);
  });
  return env;
}

/** The server still serves: HTTP answers, and a valid client authenticates and gets a pong. */
export async function stillServing(port: number, token: string): Promise<void> {
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: { Authorization: `Bearer ${token}` } });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data) => {
        const { type } = JSON.parse(data.toString()) as { type: string };
        if (type === 'ready') ws.send(JSON.stringify({ type: 'ping' }));
        if (type === 'pong') resolve();
      });
    });
  } finally {
    ws.terminate();
  }
}

/**
 * For the raw-socket attack suites: the environment, one server (a short authentication timeout,
 * so silent clients are cut off quickly) and an upgrade request to it followed by `more` bytes.
 */
export function useRawRealtimeServer() {
  const ctx = {
    env: useRealtimeEnvironment(),
    s: undefined as unknown as RealtimeServer,
    upgrade: (opts: Parameters<typeof upgradeRequest>[1] = {}, more: (string | Buffer)[] = [], waitMs?: number) =>
      exchange(ctx.s.port, [upgradeRequest(ctx.s.port, opts), ...more], { waitMs }),
  };
  beforeAll(async () => {
    ctx.s = await ctx.env.serve({ authTimeoutMs: 500 });
  });
  afterAll(async () => ctx.s?.stop());
  return ctx;
}
