/** Any ASCII control character, whitespace or backslash: browsers drop or reinterpret them in URLs. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0020\u007f\\]/;
const BASE = 'http://same-origin.invalid';

/** Starts like a path of this site: one slash, not a second one or a backslash next. */
const looksLocal = (path: string) => path.startsWith('/') && !path.startsWith('//') && !UNSAFE.test(path);

/**
 * The page to open after signing in, from the login page's `next` parameter: only a path of
 * this site, else null (the caller lands the user on their home page). Refused: absolute and
 * scheme-relative URLs (`https://evil.com`, `//evil.com`, `javascript:`), backslashes, which
 * browsers read as slashes (`/\evil.com`), control characters and whitespace, which they
 * drop (`/\t/evil.com`), and all of these percent-encoded (`/%5Cevil.com`, `/%2F/evil.com`),
 * since some proxy or later hop may decode them. What passes is returned as the URL parser
 * normalises it, so the redirect says exactly what was checked.
 */
export function safeNext(next: string | null | undefined): string | null {
  if (!next || next.length > 2048 || !looksLocal(next)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(next);
  } catch {
    return null;
  }
  if (!looksLocal(decoded)) return null;
  const url = new URL(next, BASE);
  if (url.origin !== BASE) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}
