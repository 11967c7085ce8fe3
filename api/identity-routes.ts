import type { DatabasePool } from 'slonik';
import type { RouteDef } from './http/route.ts';
import type { AuthConfig } from './auth/tokens.ts';
import { createAuthService } from './auth/auth-service.ts';
import { createLoginThrottle } from './auth/login-throttle.ts';
import { createSignupThrottle } from './auth/signup-throttle.ts';
import { createAttemptLimiter } from './auth/attempt-limiter.ts';
import { authRoutes } from './auth/auth-routes.ts';
import { usersRoutes } from './users/users-routes.ts';
import { tenantsRoutes } from './tenants/tenants-routes.ts';
import { apiKeysRoutes } from './tenants/api-keys-routes.ts';
import { tenantOverviewRoutes } from './tenants/tenant-overview-routes.ts';

/** Sign-up, sign-in, users, tenants and API keys. */
export function identityRoutes(deps: { pg: DatabasePool; auth: AuthConfig }): RouteDef[] {
  const limiter = createAttemptLimiter(deps.pg);
  const service = createAuthService({ pg: deps.pg, auth: deps.auth, logins: createLoginThrottle(limiter), signups: createSignupThrottle(limiter) });
  return [...authRoutes({ pg: deps.pg, service }), ...usersRoutes(deps), ...tenantsRoutes(deps), ...apiKeysRoutes(deps), ...tenantOverviewRoutes(deps)];
}
