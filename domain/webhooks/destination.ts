import { inRange, parseIp, parseRange, type IpAddress, type IpRange } from './ip-address.ts';

/**
 * Where a webhook may be sent. An endpoint URL comes from an admin, but the request leaves
 * from inside our network: without these rules it could reach loopback services, the
 * private network or a cloud metadata service (169.254.169.254) and report their answers
 * back as delivery attempts. Both endpoint creation and every delivery apply them, the
 * second time on the addresses the delivery then connects to, so a DNS answer that changed
 * since creation cannot slip through.
 */
export type DestinationPolicy = {
  /** Allow loopback, private, link-local and other non-public addresses (development, tests). */
  allowPrivate: boolean;
  /** Refuse plain http (production). */
  requireHttps: boolean;
};

/** What development and tests run with when no policy is configured: receivers there listen on loopback. */
export const OPEN_DESTINATIONS: DestinationPolicy = { allowPrivate: true, requireHttps: false };

export type ResolvedAddress = { address: string; family: number };
/** The shape of node:dns/promises `lookup` with `{all: true}`; tests pass their own. */
export type Resolve = (hostname: string, options: { all: true; verbatim: true }) => Promise<ResolvedAddress[]>;

// Ranges that are not globally reachable, or that reach this host or its own network, in
// the order a refusal names them (a narrower name before a wider one). IPv4 ranges also
// match IPv4-mapped IPv6 addresses (::ffff:127.0.0.1), which ip-address.ts compares as IPv4. Sources: the IANA IPv4 and IPv6 special-purpose address registries.
const RANGES: readonly (readonly [name: string, cidrs: readonly string[]])[] = [
  ['unspecified', ['0.0.0.0/8', '::/128']], // 0.0.0.0 and :: reach the local host on Linux
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['shared (carrier-grade NAT)', ['100.64.0.0/10']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']], // cloud metadata services live here
  ['unique-local', ['fc00::/7']],
  ['site-local', ['fec0::/10']],
  ['IETF protocol assignment', ['192.0.0.0/24']],
  ['documentation', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20']],
  ['benchmarking', ['198.18.0.0/15', '2001:2::/48']],
  ['6to4 relay', ['192.88.99.0/24', '2002::/16']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['reserved', ['240.0.0.0/4']], // includes the broadcast address 255.255.255.255
  // Embed an IPv4 address (or tunnel to one) that a gateway would reach on our behalf.
  ['IPv4-compatible', ['::/96']],
  ['NAT64', ['64:ff9b::/96', '64:ff9b:1::/48']],
  ['Teredo', ['2001::/32']],
  ['ORCHID', ['2001:10::/28', '2001:20::/28']],
  ['discard-only', ['100::/64']],
];

const LISTS = RANGES.map(([name, cidrs]) => [name, cidrs.map(parseRange)] as const);
const GLOBAL_UNICAST_V6 = parseRange('2000::/3');
const inAny = (address: IpAddress, ranges: readonly IpRange[]) => ranges.some((r) => inRange(address, r));

/** An address without URL brackets or a zone id (fe80::1%eth0). */
const bare = (address: string) => address.replace(/^\[(.*)\]$/, '$1').split('%')[0]!;

/**
 * The name of the non-public range an IP address is in, or undefined for a public address.
 * IPv6 outside 2000::/3 (global unicast) is never public; a string that is not an IP
 * address is refused as such.
 */
export function nonPublicRange(address: string): string | undefined {
  const ip = parseIp(bare(address));
  if (!ip) return 'not an IP address';
  for (const [name, ranges] of LISTS) if (inAny(ip, ranges)) return name;
  if (ip.family === 6 && !inRange(ip, GLOBAL_UNICAST_V6)) return 'non-global IPv6';
  return undefined;
}

/** Why a URL is refused before any name is resolved (scheme, or an IP address as host). */
export function urlRefusal(url: URL, policy: DestinationPolicy): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (policy.requireHttps && url.protocol !== 'https:') return 'must use https';
  const host = bare(url.hostname);
  if (!policy.allowPrivate && parseIp(host)) {
    const range = nonPublicRange(host);
    if (range) return `${host} is not publicly reachable (${range})`;
  }
  return undefined;
}

export type Vetted = { ok: true; hostname: string; addresses: ResolvedAddress[] } | { ok: false; reason: string };

/**
 * Resolves the URL's host and checks every address it resolves to (one private answer
 * among public ones refuses the lot: a client may connect to any of them). The caller
 * connects only to the returned addresses. A failed resolution rejects with the resolver's
 * error: that is a network failure, not a refusal.
 */
export async function vetDestination(url: URL, policy: DestinationPolicy, resolve: Resolve): Promise<Vetted> {
  const refused = urlRefusal(url, policy);
  if (refused) return { ok: false, reason: refused };
  const hostname = bare(url.hostname);
  const ip = parseIp(hostname);
  const addresses = ip ? [{ address: hostname, family: ip.family }] : await resolve(hostname, { all: true, verbatim: true });
  if (addresses.length === 0) return { ok: false, reason: `${hostname} resolves to no address` };
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      if (range) return { ok: false, reason: `${hostname} resolves to ${address}, which is not publicly reachable (${range})` };
    }
  }
  return { ok: true, hostname, addresses };
}
