import type { IncomingMessage } from 'node:http';
import type { DatabasePool } from 'slonik';
import type { Authorize } from '../http/register-routes.ts';
import type { Principal } from '../http/route.ts';
import { forbidden, unauthorized } from '../http/problem.ts';
import { createJwtVerifier, type AuthConfig } from './tokens.ts';
import { createApiKeyVerifier } from './api-key-verifier.ts';
import { looksLikeApiKey } from './api-key-secrets.ts';
import { createSessionCheck, type SessionCheck } from './session-check.ts';
import { requireKeyScope } from './api-key-scopes.ts';

/** The credential a request carries: X-API-Key, or a bearer token that is an API key. */
function apiKeyFrom(headers: { authorization?: string; 'x-api-key'?: string | string[] }): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer && looksLikeApiKey(bearer) ? bearer : undefined;
}

/**
 * Authorisation is declared per route (`access`) and enforced here, once: 401 when the
 * caller is unknown, 403 when their role may not do this. Tenant checks (404 for another
 * tenant's resource) follow in the handler through resolveTenant.
 */
export function createAuthorize(config: AuthConfig, pg: DatabasePool, sessionIsCurrent: SessionCheck = createSessionCheck(pg)): Authorize & { principalOf: (req: IncomingMessage) => Promise<Principal | null> } {
  const verifyJwt = createJwtVerifier(config);
  const verifyKey = createApiKeyVerifier(pg);

  const principalOf = async (req: IncomingMessage): Promise<Principal | null> => {
    const key = apiKeyFrom(req.headers as never);
    if (key) {
      const verified = await verifyKey(key);
      return verified ? { kind: 'apiKey', ...verified } : null;
    }
    const claims = await verifyJwt(req);
    // A valid signature is not enough: the user may have been deactivated or changed since.
    if (claims && !(await sessionIsCurrent(claims))) return null;
    return claims ? { kind: 'user', userId: claims.sub, email: claims.email, role: claims.role, tenantId: claims.tenantId } : null;
  };

  const authorize = (async (ctx, route) => {
    if ('public' in route.access) return null;
    const hasCredential = Boolean(ctx.get('authorization') || ctx.get('x-api-key') || ctx.get('cookie'));
    const principal = await principalOf(ctx.req);
    if (!principal) throw unauthorized(hasCredential ? 'the credential is invalid, expired or revoked' : 'authentication required');
    ctx.state.principal = principal;
    if (principal.kind === 'apiKey') {
      requireKeyScope(route.access, principal);
      return principal;
    }
    if (!route.access.roles.includes(principal.role)) throw forbidden(`the ${principal.role} role may not do this`);
    return principal;
  }) as Authorize & { principalOf: typeof principalOf };
  authorize.principalOf = principalOf;
  return authorize;
}
