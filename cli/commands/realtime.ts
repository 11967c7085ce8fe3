import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Stack } from '../stack/open-stack.ts';
import type { PrincipalOfHeaders } from '../../api/auth/principal.ts';
import { createRealtimeHub, createUsageTickPublisher, type UsageTickPublisher } from '../../api/realtime/index.ts';

/**
 * Live updates for an API process: the usage-tick publisher that ingest feeds (create it
 * before the app, pass it as AppDeps.usageTicks), and the WebSocket hub on the HTTP server
 * (attach it after listen, with the app's caller resolver). The hub is registered on `life`
 * after the HTTP server, so a shutdown closes the WebSockets (1001) first and then the server.
 */
export function createRealtime(
  config: Config,
  stack: Stack,
  logger: Logger,
  life: Lifecycle,
): { usageTicks: UsageTickPublisher; attach: (server: Server, principalOfHeaders: PrincipalOfHeaders) => Promise<void> } {
  const usageTicks = createUsageTickPublisher(stack.pg, { logger });
  life.add('usage ticks', () => usageTicks.stop());
  return {
    usageTicks,
    async attach(server, principalOfHeaders) {
      const hub = createRealtimeHub({ pg: stack.pg, principalOfHeaders, logger, allowedOrigins: [config.CORS_ORIGIN] });
      life.add('WebSocket hub', () => hub.close());
      await hub.start();
      hub.attach(server);
    },
  };
}
