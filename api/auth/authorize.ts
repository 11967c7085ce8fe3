import type { Authorize } from '../http/register-routes.ts';
import { forbidden, unauthorized } from '../http/problem.ts';
import { isCrossSite } from './cross-site.ts';
import type { PrincipalOfHeaders } from './principal.ts';
import { requireKeyScope } from './api-key-scopes.ts';

/** Methods that change state; a browser sends Origin with each of them. */
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Authorisation is declared per route (`access`) and enforced here, once: 401 when the
 * caller is unknown, 403 when their role may not do this, and 403 for a state-changing
 * request that only the session cookie authenticates when a browser says it comes from
 * another site (a forged request: the browser attached the cookie, the user did not ask).
 * Tenant checks (404 for another tenant's resource) follow in the handler through resolveTenant.
 */
export function createAuthorize(principalOfHeaders: PrincipalOfHeaders, opts: { allowedOrigins: ReadonlySet<string> }): Authorize {
  return async (ctx, route) => {
    if ('public' in route.access) return null;
    const { credential, principal } = await principalOfHeaders(ctx.req.headers);
    if (!principal) throw unauthorized(credential ? 'the credential is invalid, expired or revoked' : 'authentication required');
    if (credential?.source === 'cookie' && UNSAFE_METHODS.has(ctx.method) && isCrossSite(ctx.req.headers, opts.allowedOrigins)) {
      throw forbidden('a cross-site request cannot use the session cookie; send it from the dashboard, or use an Authorization header');
    }
    ctx.state.principal = principal;
    if (principal.kind === 'apiKey') {
      requireKeyScope(route.access, principal);
      return principal;
    }
    if (!route.access.roles.includes(principal.role)) throw forbidden(`the ${principal.role} role may not do this`);
    return principal;
  };
}
