import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, type Exchange } from '../../test/harness/raw-socket.ts';
import { stillServing, useRealtimeEnvironment, type RealtimeServer } from '../../test/harness/realtime-server.ts';

// Hostile HTTP requests (malformed credentials, malformed bodies) over raw TCP to the API's
// server with the WebSocket hub attached: each is answered, and the server keeps serving HTTP
// and WebSocket clients. Hostile upgrades and frames: hostile-input.int.test.ts.

const env = useRealtimeEnvironment();
let s: RealtimeServer;
beforeAll(async () => {
  s = await env.serve({ authTimeoutMs: 500 });
});
afterAll(async () => s?.stop());

describe('HTTP requests with malformed credentials to a normal route', () => {
  const raw = (headerLines: (string | Buffer)[]) =>
    exchange(
      s.port,
      [
        Buffer.concat([
          Buffer.from(`GET /api/tenants HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n`),
          ...headerLines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\r\n')])),
          Buffer.from('\r\n'),
        ]),
      ],
      { waitMs: 2_000 },
    );

  it.each<[string, (string | Buffer)[]]>([
    ['a truncated percent-encoding in the session cookie', ['Cookie: mp_session=%E0%A4%A']],
    ['a lone percent sign in the session cookie', ['Cookie: mp_session=%']],
    ['a session cookie that is not a JWT', ['Cookie: mp_session=not-a-jwt']],
    ['two malformed session cookies', ['Cookie: mp_session=%E0', 'Cookie: mp_session=%%']],
    ['raw bytes above 0x7f in the cookie', [Buffer.concat([Buffer.from('Cookie: mp_session='), Buffer.from([0xe0, 0xa4, 0xff])])]],
    ['an empty bearer', ['Authorization: Bearer']],
    ['two tokens after Bearer', ['Authorization: Bearer a b']],
    ['another scheme', ['Authorization: Basic dXNlcjpwYXNz']],
    ['two Authorization headers', ['Authorization: Bearer x.y.z', 'Authorization: Bearer %E0']],
    ['an 8 KiB bearer', [`Authorization: Bearer ${'x'.repeat(8_192)}`]],
    [
      'an unsigned (alg none) token',
      [
        `Authorization: Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', email: 'e', tenantId: null, iss: 'meterplane', aud: 'meterplane' })).toString('base64url')}.`,
      ],
    ],
    ['an API key that does not exist', ['X-API-Key: mp_live_doesnotexist']],
    ['two X-API-Key headers', ['X-API-Key: mp_live_a', 'X-API-Key: mp_live_b']],
    ['raw bytes above 0x7f in the API key', [Buffer.concat([Buffer.from('X-API-Key: mp_live_'), Buffer.from([0xc3, 0x28, 0xff])])]],
  ])('%s: 401 problem+json', async (_name, lines) => {
    const x = await raw(lines);
    expect(x.status).toBe(401);
    expect(x.head.toLowerCase()).toContain('content-type: application/problem+json');
    const body = JSON.parse(x.raw.subarray(x.raw.indexOf('\r\n\r\n') + 4).toString()) as { status: number; detail: string };
    expect(body.status).toBe(401);
  });

  it('the same requests with a valid credential next to the malformed cookie succeed', async () => {
    const x = await raw([`Authorization: Bearer ${env.api.tokens.admin}`, 'Cookie: mp_session=%E0%A4%A']);
    expect(x.status).toBe(200);
  });
});

describe('malformed bodies', () => {
  const post = (headers: string[], body: string | Buffer, opts: { endAfterWrite?: boolean; waitMs?: number } = {}) =>
    exchange(
      s.port,
      [
        Buffer.concat([
          Buffer.from(
            `POST /api/usage/ingest HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\nX-API-Key: ${env.api.apiKeys.a}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`,
          ),
          Buffer.from(body),
        ]),
      ],
      { waitMs: opts.waitMs ?? 3_000, endAfterWrite: opts.endAfterWrite },
    );
  const json = (body: string) => post(['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`], body);
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it.each<[string, () => Promise<Exchange>, number]>([
    ['not JSON', () => json('{"events": [}'), 400],
    ['JSON nested 100,000 deep', () => json(deep(100_000)), 400],
    ['a number with 100,000 digits', () => json(`{"id":"big-1","type":"api_call","data":{"n":${'9'.repeat(100_000)}}}`), 202],
    [
      'invalid UTF-8 in a string (read as U+FFFD)',
      () => {
        const body = Buffer.concat([
          Buffer.from('{"id":"utf-1","type":"api_call","data":{"x":"'),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('"}}'),
        ]);
        return post(['Content-Type: application/json', `Content-Length: ${body.length}`], body);
      },
      202,
    ],
    ['a Content-Length that is not a number', () => post(['Content-Type: application/json', 'Content-Length: abc'], '{}'), 400],
    ['two different Content-Lengths', () => post(['Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 3'], '{}'), 400],
    ['a broken chunk size', () => post(['Content-Type: application/json', 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n'), 400],
    [
      'a Content-Type with garbage parameters',
      () => post(['Content-Type: application/json; charset=%%%; ;;=', 'Content-Length: 2'], '{}'),
      400,
    ],
  ])('%s, and the server keeps serving', async (_name, send, status) => {
    const x = await send();
    expect(x.status).toBe(status);
    await stillServing(s.port, env.api.tokens.customerA);
  });

  it('a body cut short (the client hangs up before Content-Length bytes): logged, and the server keeps serving', async () => {
    await post(['Content-Type: application/json', 'Content-Length: 1000'], '{"events": [', { endAfterWrite: true, waitMs: 500 });
    await stillServing(s.port, env.api.tokens.customerA);
    await expect.poll(() => env.appLog.some((l) => l.includes('request failed outside the error middleware'))).toBe(true);
  });
});
