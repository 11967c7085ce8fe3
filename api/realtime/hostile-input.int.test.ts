import { describe, expect, it } from 'vitest';
import { exchange, upgradeRequest } from '../../test/harness/raw-socket.ts';
import { stillServing, useRawRealtimeServer } from '../../test/harness/realtime-server.ts';

// Hostile upgrades and frames to the API's HTTP server with the WebSocket hub attached, over
// raw TCP so that nothing is cleaned up by a client library. After each kind, the server must
// still answer HTTP and a valid client must still connect: no request may end the process. (An
// unhandled rejection or uncaught exception in the server fails this test run too.) Hostile
// HTTP requests to the same server: hostile-http.int.test.ts; hostile frames after the upgrade:
// hostile-frames.int.test.ts.

const r = useRawRealtimeServer();

describe('malformed upgrade requests to /api/ws', () => {
  it.each<[string, number, Parameters<typeof upgradeRequest>[1]]>([
    ['a truncated percent-encoding in the session cookie', 101, { headers: ['Cookie: mp_session=%E0%A4%A'] }],
    ['a lone percent sign in the session cookie', 101, { headers: ['Cookie: mp_session=%'] }],
    ['percent-encoded invalid UTF-8 in the session cookie', 101, { headers: ['Cookie: mp_session=%C3%28'] }],
    ['two Cookie headers, both malformed', 101, { headers: ['Cookie: mp_session=%E0', 'Cookie: mp_session=%%%'] }],
    ['two Authorization headers', 101, { headers: ['Authorization: Bearer x.y.z', 'Authorization: Bearer %E0%A4%A'] }],
    ['an empty bearer', 101, { headers: ['Authorization: Bearer'] }],
    ['two Sec-WebSocket-Key headers', 400, { headers: ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='] }],
    ['a garbage Sec-WebSocket-Key', 400, { key: '!!not base64, not 16 bytes!!' }],
    ['an empty Sec-WebSocket-Key', 400, { key: '' }],
    ['an unsupported Sec-WebSocket-Version', 400, { version: '7' }],
    ['a non-numeric Sec-WebSocket-Version', 400, { version: 'thirteen' }],
    ['a POST upgrade', 405, { method: 'POST' }],
    ['an upgrade to another API path', 404, { path: '/api/other' }],
    ['an upgrade to the root', 404, { path: '/' }],
    ['an upgrade to //', 404, { path: '//' }],
    ['an upgrade with a dot-segment path', 404, { path: '/api/ws/../ws' }],
    ['an upgrade with a bad percent-encoding in the path', 404, { path: '/api/%E0%A4%A' }],
    ['an upgrade with an absolute-form target', 404, { path: 'http://evil.example/api/ws' }],
    ['an Origin that is not a URL with a cookie', 101, { headers: ['Origin: ::::', 'Cookie: mp_session=%E0%A4%A'] }],
    [
      'an X-Forwarded-Host that is not a host',
      101,
      { headers: ['Origin: http://a b', 'X-Forwarded-Host: a b, [', 'Cookie: mp_session=x'] },
    ],
  ])('%s: answered %i, and the server keeps serving', async (_name, status, opts) => {
    const x = await r.upgrade(opts);
    expect(x.status).toBe(status);
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it.each<[string, number, string | Buffer]>([
    [
      'a header with a control character',
      400,
      `GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Bad: a\u0001b\r\n\r\n`,
    ],
    [
      'a header name with a space',
      400,
      `GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nBad Name: x\r\n\r\n`,
    ],
    [
      'raw bytes above 0x7f and a NUL in a header value',
      400,
      Buffer.concat([
        Buffer.from('GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: mp_session='),
        Buffer.from([0xe0, 0xa4, 0xff, 0x00]),
        Buffer.from('\r\n\r\n'),
      ]),
    ],
    ['a bare LF line ending', 400, 'GET /api/ws HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n\n'],
    ['a 64 KiB cookie', 431, upgradeRequest(0, { headers: [`Cookie: mp_session=${'a'.repeat(64 * 1024)}`] })],
    ['a thousand headers', 431, upgradeRequest(0, { headers: Array.from({ length: 1_000 }, (_, i) => `X-H${i}: ${i}`) })],
    ['not HTTP at all', 400, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])],
  ])('%s: %i from the HTTP parser, and the server keeps serving', async (_name, status, request) => {
    const x = await exchange(r.s.port, [request]);
    expect(x.status).toBe(status);
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it.each<[string, string]>([
    ['cut inside the request line', 'GET /api/w'],
    ['cut inside the headers', `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upg`],
    [
      'cut before the blank line',
      `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: mp_session=%E0%A4%A\r\n`,
    ],
  ])('a request %s, then the client hangs up: the server keeps serving', async (_name, request) => {
    await exchange(r.s.port, [request], { endAfterWrite: true, waitMs: 300 });
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it('a client that resets the connection right after the upgrade request: the server keeps serving', async () => {
    for (let i = 0; i < 20; i += 1)
      await exchange(r.s.port, [upgradeRequest(r.s.port, { headers: ['Cookie: mp_session=%E0%A4%A'] })], { waitMs: 1 });
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it('no connection is left behind by any of it', async () => {
    await expect.poll(() => r.s.hub.connections(), { timeout: 3_000 }).toBe(0);
  });
});
