import { describe, expect, it } from 'vitest';
import { nonPublicRange, urlRefusal, vetDestination } from './destination.ts';
import { stubDns } from '../../test/harness/stub-dns.ts';

const closed = { allowPrivate: false, requireHttps: false };
const production = { allowPrivate: false, requireHttps: true };
const open = { allowPrivate: true, requireHttps: false };

/** A resolver that answers from a table and records what it was asked. */
const v4 = (address: string) => ({ address, family: 4 });
const v6 = (address: string) => ({ address, family: 6 });

describe('nonPublicRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['100.127.255.255', 'shared (carrier-grade NAT)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fec0::1', 'site-local'],
    ['192.0.0.8', 'IETF protocol assignment'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    // IPv4-mapped IPv6: judged as the IPv4 address inside, in both spellings.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['2002:7f00:1::1', '6to4 relay'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['100::1', 'discard-only'],
    ['::ffff:8.8.8.8', 'non-global IPv6'], // a mapped public address is refused too: no real resolver answers it
    ['4000::1', 'non-global IPv6'],
    ['[::1]', 'loopback'], // as URL.hostname spells it
    ['localhost', 'not an IP address'],
    ['127.1', 'not an IP address'],
  ])('%s is %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '11.0.0.0',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
  ])('%s is public', (address) => {
    expect(nonPublicRange(address)).toBeUndefined();
  });
});

describe('urlRefusal', () => {
  // new URL normalises every IPv4 spelling (decimal, octal, hex, shortened) to dotted quads.
  it.each([
    ['http://127.0.0.1:8080/hooks', '127.0.0.1 is not publicly reachable (loopback)'],
    ['http://2130706433/', '127.0.0.1 is not publicly reachable (loopback)'],
    ['http://0x7f000001/', '127.0.0.1 is not publicly reachable (loopback)'],
    ['http://0177.0.0.1/', '127.0.0.1 is not publicly reachable (loopback)'],
    ['http://0x7f.1/', '127.0.0.1 is not publicly reachable (loopback)'],
    ['http://127.1/', '127.0.0.1 is not publicly reachable (loopback)'],
    ['http://0/', '0.0.0.0 is not publicly reachable (unspecified)'],
    ['http://[::]/', ':: is not publicly reachable (unspecified)'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is not publicly reachable (loopback)'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '::ffff:7f00:1 is not publicly reachable (loopback)'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is not publicly reachable (link-local)'],
    ['http://[fd00::1]:9000/', 'fd00::1 is not publicly reachable (unique-local)'],
    ['http://100.64.1.2/', '100.64.1.2 is not publicly reachable (shared (carrier-grade NAT))'],
    ['https://10.1.2.3/', '10.1.2.3 is not publicly reachable (private)'],
  ])('refuses %s when private destinations are not allowed', (url, reason) => {
    expect(urlRefusal(new URL(url), closed)).toBe(`${reason}`);
    expect(urlRefusal(new URL(url), open)).toBeUndefined();
  });

  it('leaves host names to resolution, and accepts public addresses', () => {
    expect(urlRefusal(new URL('http://localhost:3000/'), closed)).toBeUndefined();
    expect(urlRefusal(new URL('https://8.8.8.8/'), production)).toBeUndefined();
  });

  it('requires https when told to, and http(s) always', () => {
    expect(urlRefusal(new URL('http://hooks.example.com/'), production)).toBe('must use https');
    expect(urlRefusal(new URL('https://hooks.example.com/'), production)).toBeUndefined();
    expect(urlRefusal(new URL('http://hooks.example.com/'), closed)).toBeUndefined();
    expect(urlRefusal(new URL('ftp://hooks.example.com/'), open)).toBe('must be an http(s) URL');
  });
});

describe('vetDestination', () => {
  it('returns every address of a public name, to connect to', async () => {
    const dns = stubDns({ 'hooks.example.com': [v4('93.184.215.14'), v6('2606:2800:21f:cb07:6820:80da:af6b:8b2c')] });
    await expect(vetDestination(new URL('https://hooks.example.com/x'), production, dns.resolve)).resolves.toEqual({
      ok: true,
      hostname: 'hooks.example.com',
      addresses: [v4('93.184.215.14'), v6('2606:2800:21f:cb07:6820:80da:af6b:8b2c')],
    });
    expect(dns.asked).toEqual(['hooks.example.com']);
  });

  it('refuses a name with one private address among public ones', async () => {
    const dns = stubDns({ 'mixed.example.com': [v4('93.184.215.14'), v4('169.254.169.254')] });
    await expect(vetDestination(new URL('http://mixed.example.com/'), closed, dns.resolve)).resolves.toEqual({
      ok: false,
      reason: 'mixed.example.com resolves to 169.254.169.254, which is not publicly reachable (link-local)',
    });
  });

  it('refuses a name resolving to loopback (as localhost does) or to a mapped loopback', async () => {
    const dns = stubDns({ localhost: [v6('::1'), v4('127.0.0.1')], sneaky: [v6('::ffff:127.0.0.1')] });
    expect(await vetDestination(new URL('http://localhost:4000/'), closed, dns.resolve)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('localhost resolves to ::1, which is not publicly reachable (loopback)'),
    });
    expect(await vetDestination(new URL('http://sneaky/'), closed, dns.resolve)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('::ffff:127.0.0.1, which is not publicly reachable (loopback)'),
    });
  });

  it('allows private answers when told to, and still pins what it resolved', async () => {
    const dns = stubDns({ localhost: [v4('127.0.0.1')] });
    await expect(vetDestination(new URL('http://localhost:4000/'), open, dns.resolve)).resolves.toEqual({
      ok: true,
      hostname: 'localhost',
      addresses: [v4('127.0.0.1')],
    });
  });

  it('does not resolve an IP address, and refuses before resolving a refused URL', async () => {
    const dns = stubDns({});
    await expect(vetDestination(new URL('http://[2606:4700:4700::1111]/'), closed, dns.resolve)).resolves.toEqual({
      ok: true,
      hostname: '2606:4700:4700::1111',
      addresses: [v6('2606:4700:4700::1111')],
    });
    await expect(vetDestination(new URL('http://hooks.example.com/'), production, dns.resolve)).resolves.toEqual({
      ok: false,
      reason: 'must use https',
    });
    expect(dns.asked).toEqual([]);
  });

  it('lets a resolution failure through as an error (a network failure, not a refusal)', async () => {
    await expect(vetDestination(new URL('http://nowhere.example.com/'), closed, stubDns({}).resolve)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(
      vetDestination(new URL('http://empty.example.com/'), closed, stubDns({ 'empty.example.com': [] }).resolve),
    ).resolves.toEqual({ ok: false, reason: 'empty.example.com resolves to no address' });
  });
});
