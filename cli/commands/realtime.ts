import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Stack } from '../stack/open-stack.ts';
import { createRealtimeHub, createUsageTickPublisher, type UsageTickPublisher } from '../../api/realtime/index.ts';
import { appDepsOf } from './app-deps.ts';

/**
 * Live updates for an API process: the usage-tick publisher that ingest feeds (create it
 * before the app, pass it as AppDeps.usageTicks), and the WebSocket hub on the HTTP server
 * (attach it after listen). The hub is registered on `life` after the HTTP server, so a
 * shutdown closes the WebSockets (1001) first and then the server.
 */
export function createRealtime(config: Config, stack: Stack, logger: Logger, life: Lifecycle): { usageTicks: UsageTickPublisher; attach: (server: Server) => Promise<void> } {
  const usageTicks = createUsageTickPublisher(stack.pg, { logger });
  life.add('usage ticks', () => usageTicks.stop());
  return {
    usageTicks,
    async attach(server) {
      const { auth } = appDepsOf(config, stack, logger);
      const hub = createRealtimeHub({ pg: stack.pg, auth, logger, allowedOrigins: [config.CORS_ORIGIN] });
      life.add('WebSocket hub', () => hub.close());
      await hub.start();
      hub.attach(server);
    },
  };
}
