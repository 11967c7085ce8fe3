import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { credentialOf, sessionCookieOf } from './credentials.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
const KEY = 'mp_live_AbCdEf0123456789-_xyz';

describe('sessionCookieOf', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['the only cookie', `mp_session=${JWT}`, JWT],
    ['among others, with spaces', `theme=dark;  mp_session=${JWT} ; lang=en`, JWT],
    ['percent-encoded', 'mp_session=a%2Bb', 'a+b'],
    ['truncated percent-encoding (the request that once ended the process)', 'mp_session=%E0%A4%A', undefined],
    ['a lone percent sign', 'mp_session=%', undefined],
    ['invalid UTF-8 after decoding', 'mp_session=%C3%28', undefined],
    ['a bad first copy is skipped for a good second one', `mp_session=%E0%A4%A; mp_session=${JWT}`, JWT],
    ['the first of two good copies wins', `mp_session=${JWT}; mp_session=other`, JWT],
    ['empty', 'mp_session=', undefined],
    ['a name that only ends like ours', `xmp_session=${JWT}`, undefined],
    ['no equals sign', 'mp_session', undefined],
    ['no cookie header', undefined, undefined],
    ['garbage', ';;;===;', undefined],
  ])('%s', (_name, header, expected) => {
    expect(sessionCookieOf(header)).toBe(expected);
  });
});

describe('credentialOf', () => {
  it.each<[string, IncomingHttpHeaders, ReturnType<typeof credentialOf>]>([
    ['X-API-Key', { 'x-api-key': KEY }, { kind: 'apiKey', secret: KEY, source: 'x-api-key' }],
    ['an API key as bearer', { authorization: `Bearer ${KEY}` }, { kind: 'apiKey', secret: KEY, source: 'bearer' }],
    ['a JWT as bearer', { authorization: `Bearer ${JWT}` }, { kind: 'jwt', token: JWT, source: 'bearer' }],
    ['the scheme in any case', { authorization: `bEaReR ${JWT}` }, { kind: 'jwt', token: JWT, source: 'bearer' }],
    ['the session cookie', { cookie: `mp_session=${JWT}` }, { kind: 'jwt', token: JWT, source: 'cookie' }],
    [
      'X-API-Key before bearer and cookie',
      { 'x-api-key': KEY, authorization: `Bearer ${JWT}`, cookie: `mp_session=${JWT}` },
      { kind: 'apiKey', secret: KEY, source: 'x-api-key' },
    ],
    [
      'bearer before the cookie',
      { authorization: `Bearer ${JWT}`, cookie: 'mp_session=other' },
      { kind: 'jwt', token: JWT, source: 'bearer' },
    ],
    [
      'a malformed authorization falls back to the cookie',
      { authorization: 'Bearer', cookie: `mp_session=${JWT}` },
      { kind: 'jwt', token: JWT, source: 'cookie' },
    ],
    ['two tokens after Bearer', { authorization: `Bearer ${JWT} ${JWT}` }, null],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, null],
    ['a bearer token with characters outside token68', { authorization: 'Bearer a,b;c' }, null],
    ['an empty X-API-Key', { 'x-api-key': '' }, null],
    ['a malformed session cookie', { cookie: 'mp_session=%E0%A4%A' }, null],
    ['nothing', {}, null],
  ])('%s', (_name, headers, expected) => {
    expect(credentialOf(headers)).toEqual(expected);
  });

  it('never throws, whatever the header values', () => {
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('%', '%E0%A4%A', 'mp_session=%', 'Bearer ', '\u0000'),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            authorization: value,
            cookie: fc.oneof(
              value,
              value.map((v) => `mp_session=${v}`),
            ),
            'x-api-key': fc.oneof(value, fc.constant(undefined)),
          },
          { requiredKeys: [] },
        ),
        (headers) => {
          const credential = credentialOf(headers as IncomingHttpHeaders);
          expect(credential === null || typeof credential === 'object').toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
