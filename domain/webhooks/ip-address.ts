/**
 * IP addresses and ranges as 128-bit numbers, without Node's `net` module: domain/ runs inside
 * the workflow sandbox too. An IPv4 address is held as its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d) and an IPv4 range as the matching mapped range, so a mapped address is
 * judged like the IPv4 address inside it. The accepted spellings are exactly those of
 * `net.isIP` (destination's tests compare the two): dotted quads without leading zeros,
 * IPv6 with one `::` at most, a dotted IPv4 tail, and an optional zone id (`%eth0`).
 */
export type IpAddress = { family: 4 | 6; value: bigint };
export type IpRange = { first: bigint; prefix: number };

const V4_PART = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9a-zA-Z.:-]+$/;
const MAPPED = 0xffffn << 32n;

function parseV4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p))) return null;
  return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
}

/** The 16-bit groups of one side of `::`; a dotted IPv4 address counts as the last two. */
function groups(text: string, v4Tail: boolean): bigint[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const out: bigint[] = [];
  for (const [i, part] of parts.entries()) {
    if (v4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseV4(part);
      if (v4 === null) return null;
      out.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEX_GROUP.test(part)) out.push(BigInt(`0x${part}`));
    else return null;
  }
  return out;
}

function parseV6(text: string): bigint | null {
  const sides = text.split('::');
  if (sides.length > 2) return null;
  const compressed = sides.length === 2;
  const head = groups(sides[0]!, !compressed);
  const tail = compressed ? groups(sides[1]!, true) : [];
  if (head === null || tail === null) return null;
  const given = head.length + tail.length;
  // `::` stands for at least one zero group.
  if (compressed ? given > 7 : given !== 8) return null;
  return [...head, ...Array<bigint>(8 - given).fill(0n), ...tail].reduce((n, g) => (n << 16n) | g, 0n);
}

/** The address, or null for text that is not one (a host name, `127.1`, brackets). */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { family: 4, value: MAPPED | v4 };
  const zoneAt = text.indexOf('%');
  if (zoneAt >= 0 && !ZONE.test(text.slice(zoneAt + 1))) return null;
  const v6 = parseV6(zoneAt >= 0 ? text.slice(0, zoneAt) : text);
  return v6 === null ? null : { family: 6, value: v6 };
}

/** `10.0.0.0/8` or `fe80::/10`; throws on a malformed range (the tables are constants). */
export function parseRange(cidr: string): IpRange {
  const [network, bits] = cidr.split('/') as [string, string | undefined];
  const address = parseIp(network);
  const prefix = Number(bits);
  if (!address || !Number.isInteger(prefix) || prefix < 0 || prefix > (address.family === 4 ? 32 : 128))
    throw new Error(`not an IP range: ${cidr}`);
  return { first: address.value, prefix: address.family === 4 ? prefix + 96 : prefix };
}

export function inRange(address: IpAddress, range: IpRange): boolean {
  const shift = BigInt(128 - range.prefix);
  return address.value >> shift === range.first >> shift;
}
