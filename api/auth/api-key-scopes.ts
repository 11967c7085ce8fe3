import { API_KEY_SCOPES, type Access, type ApiKeyScope, type Principal } from '../http/route.ts';
import { HttpProblem, forbidden } from '../http/problem.ts';

type KeyPrincipal = Extract<Principal, { kind: 'apiKey' }>;
type GuardedAccess = Exclude<Access, { public: true }>;

/**
 * The scope half of authorisation: a key passes when the route admits at least one of its
 * scopes. Routes declare the scopes (`access.apiKey`), so no handler checks them again.
 */
export function requireKeyScope(access: GuardedAccess, key: KeyPrincipal): void {
  const admitted = access.apiKey ?? [];
  if (admitted.length === 0) throw forbidden('an API key cannot be used for this action; sign in as a user');
  if (!admitted.some((s) => key.scopes.includes(s))) {
    throw forbidden(`this API key has the ${key.scopes.join(' and ')} scope; this action needs ${admitted.join(' or ')}`);
  }
}

/**
 * The scopes a user may put on a key, and take off by revoking it. The billed party must not
 * control its own meter: only admins hand out `ingest`; a customer manages `read` keys only.
 */
export function manageableScopes(user: Principal): readonly ApiKeyScope[] {
  return user.kind === 'user' && user.role === 'admin' ? API_KEY_SCOPES : ['read'];
}

/** What a key gets when its creator names no scopes: the one thing each role creates keys for. */
export function defaultScopes(user: Principal): ApiKeyScope[] {
  return user.kind === 'user' && user.role === 'admin' ? ['ingest'] : ['read'];
}

/** 403 naming `scopes` when the user asks for, or would remove, a scope they do not manage. */
export function requireManageable(user: Principal, scopes: readonly ApiKeyScope[], action: 'create' | 'revoke'): void {
  const allowed = manageableScopes(user);
  const denied = scopes.filter((s) => !allowed.includes(s));
  if (denied.length === 0) return;
  const message =
    action === 'create'
      ? `may not include ${denied.join(', ')}: only an admin creates ${denied.join(' or ')} keys`
      : `only an admin may revoke a key with the ${denied.join(' or ')} scope`;
  throw new HttpProblem(403, `scopes: ${message}`, { errors: [{ field: 'scopes', message }] });
}
