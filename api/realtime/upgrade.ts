import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import { WS_PATH } from './protocol.ts';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** A bodyless HTTP answer on a socket that is not (or not yet) a WebSocket, then close. */
function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

/**
 * The server's `upgrade` listener: /api/ws goes to the WebSocket server (which answers a
 * malformed handshake with 400 itself), another path gets 404 unless another listener takes
 * it, and while the hub shuts down 503. Nothing a client sends can throw out of here: an
 * exception in an `upgrade` listener would be uncaught and end the process.
 */
export function upgradeListener(o: {
  server: Server;
  wss: WebSocketServer;
  log: Logger;
  closing: () => boolean;
  onConnection: (ws: WebSocket, req: IncomingMessage) => void;
}): UpgradeListener {
  return (req, socket, head) => {
    // Node's HTTP server removes its own error handler from a socket it hands over for an
    // upgrade; without this one, a client resetting the connection now would crash the process.
    socket.on('error', (err) => o.log.debug({ err: err.message }, 'upgrade socket error'));
    try {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) {
        if (o.server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
        return;
      }
      if (o.closing()) return refuse(socket, 503, 'Service Unavailable');
      o.wss.handleUpgrade(req, socket, head, (ws) => {
        try {
          o.onConnection(ws, req);
        } catch (err) {
          o.log.error({ err }, 'WebSocket connection setup failed');
          ws.terminate();
        }
      });
    } catch (err) {
      o.log.warn({ err }, 'WebSocket upgrade failed');
      socket.destroy();
    }
  };
}
