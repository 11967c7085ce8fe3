import type { IncomingHttpHeaders } from 'node:http';

/** Configured browser origins (CORS_ORIGIN) as `scheme://host[:port]`; unparsable entries are dropped. */
export function originSet(origins: readonly (string | undefined)[] = []): ReadonlySet<string> {
  const out = new Set<string>();
  for (const o of origins) {
    if (!o) continue;
    try {
      out.add(new URL(o).origin);
    } catch {
      // not an origin: allows nothing
    }
  }
  return out;
}

/** The host the client addressed (Host, or the first X-Forwarded-Host behind a proxy), as URL.host spells it for this scheme. */
function addressedHosts(headers: IncomingHttpHeaders, protocol: string): string[] {
  const forwarded = typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'].split(',')[0]?.trim() : undefined;
  const out: string[] = [];
  for (const host of [headers.host, forwarded]) {
    if (!host) continue;
    try {
      out.push(new URL(`${protocol}//${host}`).host);
    } catch {
      // a malformed Host matches nothing
    }
  }
  return out;
}

/**
 * True when a browser tells us the request was made by a page of another origin, the case in
 * which a cookie it attached proves nothing about the user's intent (cross-site request
 * forgery, cross-site WebSocket hijacking).
 *
 * - `Origin` decides when present: the server's own origin (same host as addressed) or an
 *   allowed one passes; anything else, `null` included, is cross-site.
 * - Else `Sec-Fetch-Site`: `same-origin` and `none` (the user typed the address) pass.
 * - Neither header: not a browser page (curl, a script, a server), since browsers send Origin
 *   with every POST/PUT/PATCH/DELETE and WebSocket handshake. Such a client holds the cookie
 *   itself, so there is nothing to forge; it passes.
 */
export function isCrossSite(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): boolean {
  const origin = headers.origin;
  if (typeof origin === 'string' && origin) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return true;
    }
    if (url.origin === 'null') return true;
    if (allowed.has(url.origin)) return false;
    return !addressedHosts(headers, url.protocol).includes(url.host);
  }
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site) return site !== 'same-origin' && site !== 'none';
  return false;
}
