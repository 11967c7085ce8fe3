import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie } from 'cookie';
import { looksLikeApiKey } from './api-key-secrets.ts';

/** The dashboard's httpOnly cookie that holds the session JWT. */
export const SESSION_COOKIE = 'mp_session';

/**
 * What a request presents as proof of identity, before anything is verified. `source` says
 * where it came from: the session cookie is the one a browser attaches by itself, which is
 * why callers apply the cross-site rules to it alone.
 */
export type Credential =
  { kind: 'apiKey'; secret: string; source: 'x-api-key' | 'bearer' } | { kind: 'jwt'; token: string; source: 'bearer' | 'cookie' };

/** RFC 9110 `Bearer <token68>`: the scheme is case-insensitive, one token, nothing after it. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** A percent-encoding that does not decode is no value at all, never an exception. */
function decodeOrSkip(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The session cookie's value, or undefined when absent, empty or not decodable. */
export function sessionCookieOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return parseCookie(header, { decode: decodeOrSkip })[SESSION_COOKIE] || undefined;
}

/** A bearer token that is an API key counts as one; any other is a JWT. */
function credentialOfBearer(token: string): Credential {
  return looksLikeApiKey(token) ? { kind: 'apiKey', secret: token, source: 'bearer' } : { kind: 'jwt', token, source: 'bearer' };
}

/**
 * The one reading of a request's credential, for HTTP requests and WebSocket upgrades alike:
 * `X-API-Key`, else `Authorization: Bearer` (an API key or a JWT), else the session cookie.
 * Pure and total: malformed headers give null (no credential), never a throw.
 */
export function credentialOf(headers: IncomingHttpHeaders): Credential | null {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return { kind: 'apiKey', secret: apiKey, source: 'x-api-key' };
  const bearer = typeof headers.authorization === 'string' ? BEARER.exec(headers.authorization.trim())?.[1] : undefined;
  if (bearer) return credentialOfBearer(bearer);
  const cookie = sessionCookieOf(headers.cookie);
  return cookie ? { kind: 'jwt', token: cookie, source: 'cookie' } : null;
}
