import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from '../../domain/webhooks/destination.ts';

/**
 * A DNS lookup that answers only with addresses resolved and checked beforehand, so the
 * socket connects exactly where the check looked: a second answer (DNS rebinding) never
 * gets a say. Node asks with `all` when it races IPv4 and IPv6 (autoSelectFamily).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const matching = wanted ? addresses.filter((a) => a.family === wanted) : [...addresses];
    if (matching.length === 0) {
      callback(Object.assign(new Error(`no IPv${wanted} address was checked for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) {
      callback(null, matching);
    } else {
      callback(null, matching[0]!.address, matching[0]!.family);
    }
  };
}

/**
 * One POST to `url`, connected only to `addresses` (TLS still verifies the certificate
 * against the URL's host name). Resolves with the status code once the answer's headers
 * arrive; the answer's body is discarded. Redirects are not followed: a 3xx is just an
 * answer. A fresh connection each time, so no pooled socket outlives the check it passed.
 */
export function postPinned(
  url: URL,
  addresses: readonly ResolvedAddress[],
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinnedLookup(addresses),
      agent: false,
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.once('response', (res) => {
      // The status is the answer; a body cut short afterwards (timeout, reset) changes nothing.
      res.on('error', () => {});
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}
