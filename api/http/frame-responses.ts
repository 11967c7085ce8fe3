import { ROLES, type ResponseSpec, type RouteDef } from './route.ts';

/**
 * The problems the frame itself answers for a route, each only where it can happen: authorize
 * (401, 403), decoding params, query and body (400), reading the body (413, 415), and a path
 * parameter naming nothing (404). The OpenAPI document declares them beside the route's own
 * responses, which keep their more precise descriptions and add what only the route knows
 * (409, 429, 503, 202 ...).
 */
export function frameResponses(route: RouteDef): Record<number, ResponseSpec> {
  const responses: Record<number, ResponseSpec> = {};
  if (route.params || route.query || route.body) responses[400] = { description: 'Invalid input; `errors` names each field' };
  const access = route.access;
  if (!('public' in access)) {
    responses[401] = { description: 'No credential, or one that is invalid, expired or revoked' };
    const denied = [...(access.apiKey ? [] : ['an API key']), ...ROLES.filter((r) => !access.roles.includes(r)).map((r) => `the ${r} role`)];
    if (denied.length) responses[403] = { description: `Not allowed for ${denied.join(' or ')}` };
  }
  if (route.params) responses[404] = { description: 'Nothing found for the path parameters (or not yours)' };
  if (route.body) {
    responses[413] = { description: 'The body is larger than this operation accepts' };
    responses[415] = { description: 'The Content-Type is not one this operation accepts' };
  }
  return responses;
}
