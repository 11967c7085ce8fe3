import { API_KEY_SCOPES, ROLES, type ResponseSpec, type RouteDef } from './route.ts';

/**
 * The problems the frame itself answers for a route, each only where it can happen: authorize
 * (401, 403), decoding params, query and body (400), reading the body (413, 415), and a path
 * parameter naming nothing (404), and a store that was busy or out of reach (503, with
 * Retry-After; see transient-failure.ts). The OpenAPI document declares them beside the route's own
 * responses, which keep their more precise descriptions and add what only the route knows
 * (409, 429, 503, 202 ...).
 */
export function frameResponses(route: RouteDef): Record<number, ResponseSpec> {
  const responses: Record<number, ResponseSpec> = {};
  if (route.params || route.query || route.body) responses[400] = { description: 'Invalid input; `errors` names each field' };
  const access = route.access;
  if (!('public' in access)) {
    responses[401] = { description: 'No credential, or one that is invalid, expired or revoked' };
    const keys = access.apiKey;
    const keyDenied = !keys
      ? ['an API key']
      : API_KEY_SCOPES.some((scope) => !keys.includes(scope))
        ? [`an API key without the ${keys.join(' or ')} scope`]
        : [];
    const denied = [...keyDenied, ...ROLES.filter((r) => !access.roles.includes(r)).map((r) => `the ${r} role`)];
    // Any change authenticated only by the session cookie is refused from another site's page.
    const crossSite = route.method !== 'get' ? ['a cross-site page using the session cookie'] : [];
    if (denied.length || crossSite.length) responses[403] = { description: `Not allowed for ${[...denied, ...crossSite].join(' or ')}` };
  }
  if (route.params) responses[404] = { description: 'Nothing found for the path parameters (or not yours)' };
  if (route.body) {
    responses[413] = { description: 'The body is larger than this operation accepts' };
    responses[415] = { description: 'The Content-Type is not one this operation accepts' };
  }
  responses[503] = {
    description:
      'A store was busy or out of reach (a deadlock, a timeout, a lost connection) and nothing was changed; retry after Retry-After seconds',
  };
  return responses;
}
