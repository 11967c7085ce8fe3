import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { isCrossSite, originSet } from './cross-site.ts';

const allowed = originSet(['https://dashboard.example.com/', undefined, '', 'not a url']);

describe('isCrossSite', () => {
  it.each<[string, IncomingHttpHeaders, boolean]>([
    ['same origin', { host: 'billing.example.com', origin: 'https://billing.example.com' }, false],
    ['same origin, the Host in capitals', { host: 'Billing.Example.com', origin: 'https://billing.example.com' }, false],
    ['same origin with a port', { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000' }, false],
    ['the default port spelt out in Host', { host: 'billing.example.com:443', origin: 'https://billing.example.com' }, false],
    [
      'behind a proxy (X-Forwarded-Host)',
      { host: '10.0.0.5:4000', 'x-forwarded-host': 'billing.example.com, proxy.internal', origin: 'https://billing.example.com' },
      false,
    ],
    ['the configured CORS origin', { host: 'api.example.com', origin: 'https://dashboard.example.com' }, false],
    ['another site', { host: 'billing.example.com', origin: 'https://evil.example' }, true],
    ['another port of the same host', { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4001' }, true],
    ['a sibling subdomain', { host: 'billing.example.com', origin: 'https://evil.example.com' }, true],
    ['Origin null (sandboxed frame, file:)', { host: 'billing.example.com', origin: 'null' }, true],
    ['an unparsable Origin', { host: 'billing.example.com', origin: 'http://[' }, true],
    ['a malformed Host never matches', { host: 'a b', origin: 'http://a b' }, true],
    [
      'Origin decides over Sec-Fetch-Site',
      { host: 'billing.example.com', origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      true,
    ],
    ['no Origin, Sec-Fetch-Site same-origin', { host: 'billing.example.com', 'sec-fetch-site': 'same-origin' }, false],
    ['no Origin, Sec-Fetch-Site none (typed by the user)', { host: 'billing.example.com', 'sec-fetch-site': 'none' }, false],
    ['no Origin, Sec-Fetch-Site cross-site', { host: 'billing.example.com', 'sec-fetch-site': 'cross-site' }, true],
    ['no Origin, Sec-Fetch-Site same-site', { host: 'billing.example.com', 'sec-fetch-site': 'same-site' }, true],
    ['neither header: not a browser page', { host: 'billing.example.com' }, false],
  ])('%s', (_name, headers, expected) => {
    expect(isCrossSite(headers, allowed)).toBe(expected);
  });

  it('keeps only parsable origins, as scheme://host[:port]', () => {
    expect([...allowed]).toEqual(['https://dashboard.example.com']);
  });
});
