import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

export type Exchange = {
  /** Everything received, as latin1 (so bytes survive). */
  raw: Buffer;
  /** The status line and headers of the HTTP answer, if any came. */
  head: string;
  /** The status code of the HTTP answer, or undefined when none came. */
  status: number | undefined;
  /** The WebSocket frames the server sent after a 101 answer. */
  frames: { opcode: number; payload: Buffer }[];
  /** True when the server closed the connection within the wait. */
  closedByServer: boolean;
};

/**
 * Writes bytes to the server over a plain TCP socket, exactly as given (no HTTP client
 * cleans anything up), and collects the answer until the server closes or `waitMs` passes.
 * `endAfterWrite` half-closes the socket after the last chunk, as a truncated request does.
 */
export function exchange(
  port: number,
  chunks: (string | Buffer)[],
  opts: { waitMs?: number; endAfterWrite?: boolean } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let closedByServer = false;
    const socket = connect(port, '127.0.0.1', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (opts.endAfterWrite) socket.end();
    });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(received);
      const end = raw.indexOf('\r\n\r\n');
      const head = end >= 0 ? raw.subarray(0, end).toString('latin1') : '';
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      resolve({
        raw,
        head,
        status: status ? Number(status) : undefined,
        frames: status === '101' ? serverFrames(raw.subarray(end + 4)) : [],
        closedByServer,
      });
    };
    const timer = setTimeout(finish, opts.waitMs ?? 1_000);
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
  });
}

/** One client frame (masked, as RFC 6455 requires of clients unless `mask: false`). */
export function wsFrame(opcode: number, payload: string | Buffer, opts: { mask?: boolean; fin?: boolean; rsv?: number } = {}): Buffer {
  const body = Buffer.from(payload);
  const mask = opts.mask ?? true;
  const first = Buffer.from([((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode]);
  let length: Buffer;
  if (body.length < 126) length = Buffer.from([(mask ? 0x80 : 0) | body.length]);
  else if (body.length < 65_536) {
    length = Buffer.alloc(3);
    length[0] = (mask ? 0x80 : 0) | 126;
    length.writeUInt16BE(body.length, 1);
  } else {
    length = Buffer.alloc(9);
    length[0] = (mask ? 0x80 : 0) | 127;
    length.writeBigUInt64BE(BigInt(body.length), 1);
  }
  if (!mask) return Buffer.concat([first, length, body]);
  const key = randomBytes(4);
  const masked = Buffer.from(body.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([first, length, key, masked]);
}

/** The (unmasked) frames a server sent; a truncated last frame is left out. */
export function serverFrames(data: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let i = 0;
  while (i + 2 <= data.length) {
    const opcode = data[i]! & 0x0f;
    let length = data[i + 1]! & 0x7f;
    let start = i + 2;
    if (length === 126) {
      if (start + 2 > data.length) break;
      length = data.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > data.length) break;
      length = Number(data.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > data.length) break;
    frames.push({ opcode, payload: data.subarray(start, start + length) });
    i = start + length;
  }
  return frames;
}

/** The close code of a server's close frame, or undefined when it sent none. */
export function closeCode(x: Exchange): number | undefined {
  const close = x.frames.find((f) => f.opcode === 0x8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
}

/** A WebSocket upgrade request for `path` with the given extra header lines (defaults: a valid handshake). */
export function upgradeRequest(
  port: number,
  opts: { method?: string; path?: string; key?: string; version?: string; headers?: string[] } = {},
): string {
  const lines = [
    `${opts.method ?? 'GET'} ${opts.path ?? '/api/ws'} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Version: ${opts.version ?? '13'}`,
    `Sec-WebSocket-Key: ${opts.key ?? randomBytes(16).toString('base64')}`,
    ...(opts.headers ?? []),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
