import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, TEST_AUTH, type TestApi } from '../../test/harness/api.ts';
import { closeCode, exchange, upgradeRequest, wsFrame, type Exchange } from '../../test/harness/raw-socket.ts';
import { createPrincipalResolver } from '../auth/principal.ts';
import { createRealtimeHub, type RealtimeHub } from './index.ts';

// Hostile input to the API's HTTP server with the WebSocket hub attached, over raw TCP so that
// nothing is cleaned up by a client library. After each kind, the server must still answer
// HTTP and a valid client must still connect: no request may end the process. (An unhandled
// rejection or uncaught exception in the server fails this test run too.)

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let server: Server;
let hub: RealtimeHub;
let port: number;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
/** The app's own warnings, to check that failures outside the error middleware are logged. */
const appLog: string[] = [];

const TEXT = 0x1;
const BINARY = 0x2;

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client, deps: { logger: pino({ level: 'warn' }, { write: (line: string) => appLog.push(line) }) } });
  server = createServer(api.app.koa.callback());
  hub = createRealtimeHub({ pg: db.pool, principalOfHeaders: createPrincipalResolver(TEST_AUTH, db.pool), logger, authTimeoutMs: 500 });
  await hub.start();
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await hub?.close();
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all([db?.drop(), ch?.dispose()]);
});

/** The server still serves: HTTP answers, and a valid client authenticates and gets a pong. */
async function stillServing(): Promise<void> {
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: { Authorization: `Bearer ${api.tokens.customerA}` } });
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

const upgrade = (opts: Parameters<typeof upgradeRequest>[1] = {}, more: (string | Buffer)[] = [], waitMs?: number) =>
  exchange(port, [upgradeRequest(port, opts), ...more], { waitMs });

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
    ['an X-Forwarded-Host that is not a host', 101, { headers: ['Origin: http://a b', 'X-Forwarded-Host: a b, [', 'Cookie: mp_session=x'] }],
  ])('%s: answered %i, and the server keeps serving', async (_name, status, opts) => {
    const x = await upgrade(opts);
    expect(x.status).toBe(status);
    await stillServing();
  });

  it.each<[string, number, string | Buffer]>([
    ['a header with a control character', 400, `GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Bad: a\u0001b\r\n\r\n`],
    ['a header name with a space', 400, `GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nBad Name: x\r\n\r\n`],
    ['raw bytes above 0x7f and a NUL in a header value', 400, Buffer.concat([Buffer.from('GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: mp_session='), Buffer.from([0xe0, 0xa4, 0xff, 0x00]), Buffer.from('\r\n\r\n')])],
    ['a bare LF line ending', 400, 'GET /api/ws HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n\n'],
    ['a 64 KiB cookie', 431, upgradeRequest(0, { headers: [`Cookie: mp_session=${'a'.repeat(64 * 1024)}`] })],
    ['a thousand headers', 431, upgradeRequest(0, { headers: Array.from({ length: 1_000 }, (_, i) => `X-H${i}: ${i}`) })],
    ['not HTTP at all', 400, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])],
  ])('%s: %i from the HTTP parser, and the server keeps serving', async (_name, status, request) => {
    const x = await exchange(port, [request]);
    expect(x.status).toBe(status);
    await stillServing();
  });

  it.each<[string, string]>([
    ['cut inside the request line', 'GET /api/w'],
    ['cut inside the headers', `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upg`],
    ['cut before the blank line', `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: mp_session=%E0%A4%A\r\n`],
  ])('a request %s, then the client hangs up: the server keeps serving', async (_name, request) => {
    await exchange(port, [request], { endAfterWrite: true, waitMs: 300 });
    await stillServing();
  });

  it('a client that resets the connection right after the upgrade request: the server keeps serving', async () => {
    for (let i = 0; i < 20; i += 1) await exchange(port, [upgradeRequest(port, { headers: ['Cookie: mp_session=%E0%A4%A'] })], { waitMs: 1 });
    await stillServing();
  });
});

describe('hostile first messages and frames on /api/ws', () => {
  const opened = (x: Exchange) => expect(x.status).toBe(101);

  it.each<[string, Buffer[]]>([
    ['a first message that is not JSON', [wsFrame(TEXT, 'hello')]],
    ['a first message that is JSON but not an object', [wsFrame(TEXT, '[1,2,3]')]],
    ['an auth message with a token that is not a string', [wsFrame(TEXT, '{"type":"auth","token":{"$gt":""}}')]],
    ['an auth message with an 8 KiB token of garbage', [wsFrame(TEXT, JSON.stringify({ type: 'auth', token: 'x'.repeat(8_000) }))]],
    ['an auth message with an API key', [wsFrame(TEXT, JSON.stringify({ type: 'auth', token: 'mp_live_notakey' }))]],
    ['a binary first frame', [wsFrame(BINARY, Buffer.from([0, 1, 2, 0xff]))]],
    ['a binary frame that holds a valid auth message', [wsFrame(BINARY, JSON.stringify({ type: 'auth', token: 'irrelevant' }))]],
  ])('%s: closed with 4401', async (_name, frames) => {
    const x = await upgrade({}, frames);
    opened(x);
    expect(closeCode(x)).toBe(4401);
    await stillServing();
  });

  it.each<[string, number, Buffer[]]>([
    ['invalid UTF-8 in a text frame', 1007, [wsFrame(TEXT, Buffer.from([0xc3, 0x28]))]],
    ['an unmasked client frame', 1002, [wsFrame(TEXT, '{"type":"ping"}', { mask: false })]],
    ['a reserved opcode', 1002, [wsFrame(0x3, 'x')]],
    ['reserved bits set', 1002, [wsFrame(TEXT, 'x', { rsv: 0b100 })]],
    ['a frame over the 64 KiB limit', 1009, [wsFrame(TEXT, 'x'.repeat(70_000))]],
    ['a continuation with nothing to continue', 1002, [wsFrame(0x0, 'x')]],
  ])('%s: ws closes it with %i', async (_name, code, frames) => {
    const x = await upgrade({}, frames);
    opened(x);
    expect(closeCode(x)).toBe(code);
    await stillServing();
  });

  it('a flood of messages before authentication is cut off (1008), not buffered', async () => {
    // Checking an API key takes a database round trip, so everything behind the first message waits.
    const flood = Buffer.concat(Array.from({ length: 2_000 }, () => wsFrame(TEXT, JSON.stringify({ type: 'auth', token: 'mp_live_AAAAAAAAAAAAAAAAAAAA' }))));
    const x = await upgrade({}, [flood], 2_000);
    opened(x);
    expect(closeCode(x)).toBe(1008);
    await stillServing();
  });

  it('after authenticating, binary frames and junk get an error reply and the connection stays', async () => {
    const x = await upgrade({ headers: [`Authorization: Bearer ${api.tokens.admin}`] }, [wsFrame(BINARY, Buffer.from([1, 2, 3])), wsFrame(TEXT, 'junk'), wsFrame(TEXT, '{"type":"ping"}')], 700);
    opened(x);
    const types = x.frames.filter((f) => f.opcode === TEXT).map((f) => (JSON.parse(f.payload.toString()) as { type: string }).type);
    expect(types).toEqual(['ready', 'error', 'error', 'pong']);
    expect(closeCode(x)).toBeUndefined();
  });

  it('no connection is left behind by any of it', async () => {
    await expect.poll(() => hub.connections(), { timeout: 3_000 }).toBe(0);
  });
});

describe('HTTP requests with malformed credentials to a normal route', () => {
  const raw = (headerLines: (string | Buffer)[]) =>
    exchange(port, [Buffer.concat([Buffer.from(`GET /api/tenants HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n`), ...headerLines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\r\n')])), Buffer.from('\r\n')])], { waitMs: 2_000 });

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
    ['an unsigned (alg none) token', [`Authorization: Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', email: 'e', tenantId: null, iss: 'meterplane', aud: 'meterplane' })).toString('base64url')}.`]],
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
    const x = await raw([`Authorization: Bearer ${api.tokens.admin}`, 'Cookie: mp_session=%E0%A4%A']);
    expect(x.status).toBe(200);
  });
});

describe('malformed bodies', () => {
  const post = (headers: string[], body: string | Buffer, opts: { endAfterWrite?: boolean; waitMs?: number } = {}) =>
    exchange(port, [Buffer.concat([Buffer.from(`POST /api/usage/ingest HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nX-API-Key: ${api.apiKeys.a}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`), Buffer.from(body)])], { waitMs: opts.waitMs ?? 3_000, endAfterWrite: opts.endAfterWrite });
  const json = (body: string) => post(['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`], body);
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it.each<[string, () => Promise<Exchange>, number]>([
    ['not JSON', () => json('{"events": [}'), 400],
    ['JSON nested 100,000 deep', () => json(deep(100_000)), 400],
    ['a number with 100,000 digits', () => json(`{"id":"big-1","type":"api_call","data":{"n":${'9'.repeat(100_000)}}}`), 202],
    ['invalid UTF-8 in a string (read as U+FFFD)', () => {
      const body = Buffer.concat([Buffer.from('{"id":"utf-1","type":"api_call","data":{"x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
      return post(['Content-Type: application/json', `Content-Length: ${body.length}`], body);
    }, 202],
    ['a Content-Length that is not a number', () => post(['Content-Type: application/json', 'Content-Length: abc'], '{}'), 400],
    ['two different Content-Lengths', () => post(['Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 3'], '{}'), 400],
    ['a broken chunk size', () => post(['Content-Type: application/json', 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n'), 400],
    ['a Content-Type with garbage parameters', () => post(['Content-Type: application/json; charset=%%%; ;;=', 'Content-Length: 2'], '{}'), 400],
  ])('%s, and the server keeps serving', async (_name, send, status) => {
    const x = await send();
    expect(x.status).toBe(status);
    await stillServing();
  });

  it('a body cut short (the client hangs up before Content-Length bytes): logged, and the server keeps serving', async () => {
    await post(['Content-Type: application/json', 'Content-Length: 1000'], '{"events": [', { endAfterWrite: true, waitMs: 500 });
    await stillServing();
    await expect.poll(() => appLog.some((l) => l.includes('request failed outside the error middleware'))).toBe(true);
  });
});
