import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inRange, parseIp, parseRange } from './ip-address.ts';

// Node's net module is the oracle: destination.ts used isIP and BlockList before domain/
// dropped Node built-ins, so the same spellings must parse and the same ranges must match.

const octet = fc.integer({ min: 0, max: 255 }).map(String);
const v4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
const group = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constant(0), fc.constant(0xffff)).chain((n) =>
  fc.tuple(fc.integer({ min: n.toString(16).length, max: 4 }), fc.boolean()).map(([width, upper]) => {
    const text = n.toString(16).padStart(width, '0');
    return upper ? text.toUpperCase() : text;
  }),
);
/** Eight groups (or six and an IPv4 tail), with a run of them sometimes written as `::`. */
const v6 = fc
  .tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.option(v4), fc.nat(8), fc.nat(8), fc.boolean())
  .map(([groups, tail, a, b, compress]) => {
    const parts: string[] = tail === null ? groups : [...groups.slice(0, 6), tail];
    if (!compress) return parts.join(':');
    const from = Math.min(a, b) % parts.length;
    const to = Math.min(parts.length, Math.max(a, b, from + 1));
    return `${parts.slice(0, from).join(':')}::${parts.slice(to).join(':')}`;
  });
const mapped = v4.map((a) => `::ffff:${a}`);
const address = fc.oneof(v4, v6, mapped);
const noise = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:::...%g[] '.split('')), maxLength: 46 });
const zone = fc.string({ unit: fc.constantFrom(...'eth0.:-%_ '.split('')), minLength: 0, maxLength: 5 }).map((z) => `%${z}`);

const family = (text: string) => parseIp(text)?.family ?? 0;

describe('parseIp accepts exactly what net.isIP accepts', () => {
  it.each([
    ['1.2.3.4', 4],
    ['01.2.3.4', 0],
    ['1.2.3', 0],
    ['256.1.1.1', 0],
    ['::', 6],
    ['1::', 6],
    ['::1', 6],
    ['1:2:3:4:5:6:7::', 6],
    ['1:2:3:4:5:6:7:8::', 0],
    ['::1:2:3:4:5:6:7:8', 0],
    ['1:2:3:4:5:6:1.2.3.4', 6],
    ['1:2:3:4:5:6::1.2.3.4', 0],
    ['1.2.3.4::', 0],
    ['::ffff:1.2.3.4', 6],
    ['fe80::1%eth0', 6],
    ['fe80::1%', 0],
    ['1.2.3.4%eth0', 0],
    ['1::2::3', 0],
    ['12345::', 0],
    [':::', 0],
    [':1::', 0],
    ['[::1]', 0],
    [' ::1', 0],
    ['', 0],
  ])('%s → %i', (text, expected) => {
    expect(isIP(text)).toBe(expected); // the table itself is checked against the oracle
    expect(family(text)).toBe(expected);
  });

  it('for generated addresses, zone ids and noise', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          address,
          fc.tuple(v6, zone).map(([a, z]) => a + z),
          noise,
        ),
        (text) => {
          expect(family(text)).toBe(isIP(text));
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('inRange matches net.BlockList', () => {
  /** A range around `base`, and an address that shares a random part of its leading bits. */
  const case_ = address.chain((base) => {
    const isV4 = isIP(base) === 4;
    return fc.tuple(fc.constant(base), fc.integer({ min: 0, max: isV4 ? 32 : 128 }), address, fc.integer({ min: 0, max: 128 }));
  });

  it('for ranges and addresses of both families, IPv4-mapped ones included', () => {
    fc.assert(
      fc.property(case_, ([network, prefix, other, keep]) => {
        const family4 = isIP(network) === 4;
        const list = new BlockList();
        list.addSubnet(network, prefix, family4 ? 'ipv4' : 'ipv6');
        const range = parseRange(`${network}/${prefix}`);
        // The other address, with its leading `keep` bits taken from the network.
        const net = parseIp(network)!.value;
        const mask = ((1n << BigInt(keep)) - 1n) << BigInt(128 - keep);
        const mixed = (net & mask) | (parseIp(other)!.value & ~mask & ((1n << 128n) - 1n));
        const text = mixed.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');
        for (const candidate of [network, other, text]) {
          const ip = parseIp(candidate)!;
          expect(inRange(ip, range)).toBe(list.check(candidate, ip.family === 4 ? 'ipv4' : 'ipv6'));
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses a malformed range', () => {
    for (const cidr of ['10.0.0.0', '10.0.0.0/33', '::/129', 'localhost/8', '10.0.0.0/-1', '10.0.0.0/8.5'])
      expect(() => parseRange(cidr)).toThrow(cidr);
  });
});
