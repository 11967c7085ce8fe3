/**
 * The Content-Security-Policy of what the API serves. JSON and PDFs run nothing, so their
 * policy allows nothing: should a browser ever render one as a page, no script, style, frame
 * or form of it works. The API reference (/api/docs) is a page: its script and stylesheet
 * come from this server (swagger-ui-dist from npm, and a small init script, never inline) and
 * it fetches the OpenAPI document and "Try it out" calls from here too. swagger-ui sets inline
 * style attributes, hence `style-src-attr 'unsafe-inline'` (styles only; scripts stay strict).
 * The dashboard's pages carry their own policy (SvelteKit's `csp`, with a nonce per page).
 */
export const API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
