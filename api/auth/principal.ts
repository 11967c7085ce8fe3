import type { IncomingHttpHeaders } from 'node:http';
import type { DatabasePool } from 'slonik';
import type { Principal } from '../http/route.ts';
import { createJwtVerifier, type AuthConfig } from './tokens.ts';
import { createApiKeyVerifier } from './api-key-verifier.ts';
import { credentialOf, type Credential } from './credentials.ts';
import { createSessionCheck, type SessionCheck } from './session-check.ts';

/**
 * Who is calling, as far as the request's headers tell: the credential it presented (null
 * when none), the principal that credential proves (null when it proves nothing) and, for a
 * session token, when it expires (seconds since the epoch).
 */
export type Caller = { credential: Credential | null; principal: Principal | null; expiresAt?: number };

export type PrincipalOfHeaders = (headers: IncomingHttpHeaders) => Promise<Caller>;

/**
 * The one resolver of callers, for HTTP routes (authorize.ts) and the WebSocket hub: a tenant
 * API key (X-API-Key or `Bearer mp_live_…`), else a session JWT from the bearer header, else
 * from the session cookie. A session token must also match its user's current state
 * (session-check.ts): deactivation or a role change ends it. A malformed header is "no credential"; it never throws for
 * anything a client sends (only a database failure while checking an API key rejects).
 */
export function createPrincipalResolver(
  config: AuthConfig,
  pg: DatabasePool,
  sessionIsCurrent: SessionCheck = createSessionCheck(pg),
): PrincipalOfHeaders {
  const verifyJwt = createJwtVerifier(config);
  const verifyKey = createApiKeyVerifier(pg);
  return async (headers) => {
    const credential = credentialOf(headers);
    if (!credential) return { credential, principal: null };
    if (credential.kind === 'apiKey') {
      const key = await verifyKey(credential.secret);
      return { credential, principal: key ? { kind: 'apiKey', ...key } : null };
    }
    const claims = await verifyJwt(credential.token);
    // A valid signature is not enough: the user may have been deactivated or changed since.
    if (!claims || !(await sessionIsCurrent(claims))) return { credential, principal: null };
    return {
      credential,
      principal: { kind: 'user', userId: claims.sub, email: claims.email, role: claims.role, tenantId: claims.tenantId },
      ...(claims.exp !== undefined ? { expiresAt: claims.exp } : {}),
    };
  };
}
