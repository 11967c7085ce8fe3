import { WebSocket } from 'ws';

export type WsMessage = { type: string; tenantId?: string; receivedAt: number; [k: string]: unknown };

/** A WebSocket client that records everything it receives, and how it was closed. */
export class WsTestClient {
  readonly ws: WebSocket;
  readonly messages: WsMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  constructor(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => this.messages.push({ ...(JSON.parse(data.toString()) as WsMessage), receivedAt: Date.now() }));
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  async next(match: (m: WsMessage) => boolean, withinMs = 2_000): Promise<WsMessage> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no matching message within ${withinMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  send(message: unknown) {
    this.ws.send(JSON.stringify(message));
  }
  close() {
    this.ws.terminate();
  }
}
