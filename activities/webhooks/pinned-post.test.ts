import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { pinnedLookup, postPinned } from './pinned-post.ts';

const checked = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];
type Answer = { err: NodeJS.ErrnoException | null; address: unknown; family?: number };
const ask = (options: { family?: number | string; all?: boolean }, addresses = checked) =>
  new Promise<Answer>((resolve) =>
    pinnedLookup(addresses)(
      'anything.test',
      options as never,
      ((err: NodeJS.ErrnoException | null, address: unknown, family?: number) => resolve({ err, address, family })) as never,
    ),
  );

describe('pinnedLookup', () => {
  it('answers only with the checked addresses, whatever the name', async () => {
    expect(await ask({ all: true })).toEqual({ err: null, address: checked, family: undefined });
    expect(await ask({})).toEqual({ err: null, address: '127.0.0.1', family: 4 });
    expect(await ask({ family: 6 })).toEqual({ err: null, address: '::1', family: 6 });
    expect(await ask({ family: 'IPv4', all: true })).toEqual({ err: null, address: [checked[0]], family: undefined });
  });

  it('fails like DNS when no checked address has the family asked for', async () => {
    const { err } = await ask({ family: 6 }, [checked[0]!]);
    expect(err).toMatchObject({ code: 'ENOTFOUND', message: 'no IPv6 address was checked for anything.test' });
  });
});

describe('postPinned', () => {
  it('connects to the pinned address for a name no resolver knows, and sends the body with its length', async () => {
    let seen: { host?: string; length?: string; body: string } | undefined;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { host: req.headers.host, length: req.headers['content-length'], body };
        res.statusCode = 202;
        res.end('ignored');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const status = await postPinned(
        new URL(`http://nowhere.invalid:${port}/x`),
        [checked[0]!],
        { 'content-type': 'application/json' },
        '{"é":1}',
        5_000,
      );
      expect(status).toBe(202);
      expect(seen).toEqual({ host: `nowhere.invalid:${port}`, length: '8', body: '{"é":1}' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
