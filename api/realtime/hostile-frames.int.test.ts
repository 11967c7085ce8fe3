import { describe, expect, it } from 'vitest';
import { closeCode, wsFrame, type Exchange } from '../../test/harness/raw-socket.ts';
import { stillServing, useRawRealtimeServer } from '../../test/harness/realtime-server.ts';

// Hostile first messages and frames after a valid upgrade, over raw TCP (see
// hostile-input.int.test.ts for the upgrades themselves). After each, the server must still
// answer HTTP and a valid client must still connect.

const TEXT = 0x1;
const BINARY = 0x2;
const r = useRawRealtimeServer();

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
    const x = await r.upgrade({}, frames);
    opened(x);
    expect(closeCode(x)).toBe(4401);
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it.each<[string, number, Buffer[]]>([
    ['invalid UTF-8 in a text frame', 1007, [wsFrame(TEXT, Buffer.from([0xc3, 0x28]))]],
    ['an unmasked client frame', 1002, [wsFrame(TEXT, '{"type":"ping"}', { mask: false })]],
    ['a reserved opcode', 1002, [wsFrame(0x3, 'x')]],
    ['reserved bits set', 1002, [wsFrame(TEXT, 'x', { rsv: 0b100 })]],
    ['a frame over the 64 KiB limit', 1009, [wsFrame(TEXT, 'x'.repeat(70_000))]],
    ['a continuation with nothing to continue', 1002, [wsFrame(0x0, 'x')]],
  ])('%s: ws closes it with %i', async (_name, code, frames) => {
    const x = await r.upgrade({}, frames);
    opened(x);
    expect(closeCode(x)).toBe(code);
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it('a flood of messages before authentication is cut off (1008), not buffered', async () => {
    // Checking an API key takes a database round trip, so everything behind the first message waits.
    const flood = Buffer.concat(
      Array.from({ length: 2_000 }, () => wsFrame(TEXT, JSON.stringify({ type: 'auth', token: 'mp_live_AAAAAAAAAAAAAAAAAAAA' }))),
    );
    const x = await r.upgrade({}, [flood], 2_000);
    opened(x);
    expect(closeCode(x)).toBe(1008);
    await stillServing(r.s.port, r.env.api.tokens.customerA);
  });

  it('after authenticating, binary frames and junk get an error reply and the connection stays', async () => {
    const x = await r.upgrade(
      { headers: [`Authorization: Bearer ${r.env.api.tokens.admin}`] },
      [wsFrame(BINARY, Buffer.from([1, 2, 3])), wsFrame(TEXT, 'junk'), wsFrame(TEXT, '{"type":"ping"}')],
      700,
    );
    opened(x);
    const types = x.frames.filter((f) => f.opcode === TEXT).map((f) => (JSON.parse(f.payload.toString()) as { type: string }).type);
    expect(types).toEqual(['ready', 'error', 'error', 'pong']);
    expect(closeCode(x)).toBeUndefined();
  });

  it('no connection is left behind by any of it', async () => {
    await expect.poll(() => r.s.hub.connections(), { timeout: 3_000 }).toBe(0);
  });
});
