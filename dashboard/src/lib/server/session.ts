import type { Cookies } from '@sveltejs/kit';

/** The API reads the same cookie (api/auth/credentials.ts), which is how /api/ws authenticates the browser. */
export const SESSION_COOKIE = 'mp_session';

/** Seconds until the JWT expires, read from its (unverified) payload; the API verifies it on every call. */
function secondsLeft(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
    return payload.exp ? Math.max(0, payload.exp - Math.floor(Date.now() / 1000)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * httpOnly (browser JavaScript never sees the JWT), SameSite=Lax, path /. `Secure` whenever the
 * dashboard is reached over https (ORIGIN, or X-Forwarded-Proto from the proxy); plain-http
 * development on 127.0.0.1 gets no Secure flag, because browsers drop Secure cookies set over http.
 */
export function setSession(cookies: Cookies, url: URL, token: string): void {
  cookies.set(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    maxAge: secondsLeft(token),
  });
}

export function clearSession(cookies: Cookies, url: URL): void {
  cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' });
}
