import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestClient } from '../../packages/ingest-client/src/index.ts';

// A real HTTP receiver on loopback plays an overloaded API: it refuses the first request with
// 429 or 503 and a Retry-After, then acknowledges. The client must wait at least that long and
// send the same body again: the same ids, so the API's deduplication makes the retry harmless.

type Received = { at: number; body: string; headers: IncomingHttpHeaders };
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function overloadedApi(refusal: { status: number; retryAfter: () => string }, refusals = 1) {
  const received: Received[] = [];
  let refusedAt = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ at: Date.now(), body, headers: req.headers });
      if (received.length <= refusals) {
        res.writeHead(refusal.status, { 'Content-Type': 'application/problem+json', 'Retry-After': refusal.retryAfter() });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: refusal.status, detail: 'ingest queue full' }));
        refusedAt = Date.now();
        return;
      }
      const events = (JSON.parse(body) as { events: unknown[] }).events;
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ accepted: events.length, warnings: [] }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received, refusedAt: () => refusedAt };
}

describe('@meterplane/ingest-client and Retry-After', () => {
  it('503 with Retry-After: 1 — waits at least a second, then resends the same ids, and reports them sent', async () => {
    const api = await overloadedApi({ status: 503, retryAfter: () => '1' });
    const client = new IngestClient({ url: api.url, apiKey: 'mp_live_test', baseDelayMs: 1, maxDelayMs: 10 });
    const outcomes = [client.track({ type: 'api_call' }), client.track({ id: 'given-id', type: 'api_call', data: { n: 2 } })];
    await client.close();

    expect(api.received.length).toBe(2);
    const [first, second] = api.received as [Received, Received];
    expect(second.at - api.refusedAt()).toBeGreaterThanOrEqual(1_000);
    expect(second.body).toBe(first.body);
    const sentIds = (JSON.parse(first.body) as { events: { id: string }[] }).events.map((e) => e.id);
    const results = await Promise.all(outcomes);
    expect(results.map((o) => o.id)).toEqual(sentIds);
    expect(results).toEqual([
      expect.objectContaining({ sent: true, attempts: 2 }),
      expect.objectContaining({ id: 'given-id', sent: true, attempts: 2 }),
    ]);
    expect(first.headers.authorization).toBe('Bearer mp_live_test');
    expect(first.headers['content-type']).toBe('application/json');
  });

  it('429 with Retry-After as an HTTP-date — sends again no earlier than that date', async () => {
    let until = 0;
    const api = await overloadedApi({
      status: 429,
      // An HTTP-date has whole seconds: two seconds on, rounded up to the next whole second.
      retryAfter: () => {
        until = Math.ceil((Date.now() + 2_000) / 1_000) * 1_000;
        return new Date(until).toUTCString();
      },
    });
    const client = new IngestClient({ url: api.url, apiKey: 'mp_live_test', baseDelayMs: 1, maxDelayMs: 10 });
    const outcome = client.track({ id: 'dated', type: 'api_call' });
    await client.close();
    expect(await outcome).toMatchObject({ id: 'dated', sent: true, attempts: 2 });
    expect(api.received[1]!.at).toBeGreaterThanOrEqual(until);
    expect(api.received[1]!.body).toBe(api.received[0]!.body);
  });
});
