import { createServer, type Server } from 'node:http';
import type Koa from 'koa';

/** Listens and resolves once bound; the returned close waits for open requests. */
export async function listen(koa: Koa, host: string, port: number): Promise<{ server: Server; close: () => Promise<void> }> {
  const server = createServer(koa.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 3_000).unref();
    });
  return { server, close };
}
