import { createServer, type IncomingHttpHeaders } from 'node:http';

export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string; answered: number };
export type WebhookReceiver = { url: string; received: ReceivedWebhook[]; close: () => Promise<void> };

/**
 * A real HTTP endpoint on loopback standing in for a customer's webhook receiver (outside the
 * system, so the one thing tests may fake). It records every request and answers 500 to the
 * first `failFirst` of them, then 204; with `redirectTo`, it answers every request with a
 * 307 redirect there instead.
 */
export async function startWebhookReceiver(
  opts: { failFirst?: number; path?: string; redirectTo?: string } = {},
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const answered = opts.redirectTo ? 307 : received.length < (opts.failFirst ?? 0) ? 500 : 204;
      received.push({ headers: req.headers, body, answered });
      res.statusCode = answered;
      if (opts.redirectTo) res.setHeader('location', opts.redirectTo);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${opts.path ?? '/hooks'}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
