import { describe, expect, it } from 'vitest';
import { addressKey } from './address-key.ts';

describe('addressKey', () => {
  it.each([
    ['an IPv4 address', '203.0.113.7', '203.0.113.7'],
    ['an IPv4-mapped IPv6 address', '::ffff:127.0.0.1', '127.0.0.1'],
    ['an IPv4-mapped address in capitals', '::FFFF:198.51.100.1', '198.51.100.1'],
    ['an IPv6 address, by its /64', '2001:db8:85a3:1:8a2e:370:7334:1', '2001:db8:85a3:1::/64'],
    ['another address of the same /64', '2001:0DB8:85a3:0001:ffff:ffff:ffff:ffff', '2001:db8:85a3:1::/64'],
    ['a compressed IPv6 address', '2001:db8::1', '2001:db8:0:0::/64'],
    ['loopback', '::1', '0:0:0:0::/64'],
    ['a zone id', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['an embedded dotted quad outside ::ffff', '64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['not an address', 'unknown', 'unknown'],
    ['a long non-address, bounded', 'x'.repeat(500), 'x'.repeat(64)],
  ])('%s', (_name, ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  it('gives different /64s different keys', () => {
    expect(addressKey('2001:db8:0:1::1')).not.toBe(addressKey('2001:db8:0:2::1'));
  });
});
