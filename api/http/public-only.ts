import type { Authorize } from './register-routes.ts';
import { unauthorized } from './problem.ts';

/** Until an identity provider is wired in, only public routes answer. */
export const publicOnly: Authorize = async (_ctx, route) => {
  if ('public' in route.access) return null;
  throw unauthorized();
};
