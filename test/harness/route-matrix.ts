import type { Access, ApiKeyScope, Role, RouteDef } from '../../api/http/route.ts';

/**
 * The wrong-tenant role matrix's rules, apart from any fixture, so that they can be tried on a
 * deliberately broken route too. Each route's expected statuses follow from what the route
 * itself declares (its `access` and its `responses`), never from a table copied by hand: a
 * caller the access rule does not admit gets 403; a caller of tenant B on tenant A's resource
 * gets 404; any other admitted caller gets one of the route's declared 2xx statuses.
 */

/** Tenant A owns the resources a case addresses; B is "another tenant"; null an operator. */
export type MatrixCaller =
  | { name: string; kind: 'user'; role: Role; tenant: 'a' | 'b' | null }
  | { name: string; kind: 'apiKey'; scope: ApiKeyScope; tenant: 'a' | 'b' };

export const MATRIX_CALLERS = [
  { name: 'admin', kind: 'user', role: 'admin', tenant: null },
  { name: 'finance', kind: 'user', role: 'finance', tenant: null },
  { name: 'customerA', kind: 'user', role: 'customer', tenant: 'a' },
  { name: 'customerB', kind: 'user', role: 'customer', tenant: 'b' },
  { name: 'ingestKeyA', kind: 'apiKey', scope: 'ingest', tenant: 'a' },
  { name: 'ingestKeyB', kind: 'apiKey', scope: 'ingest', tenant: 'b' },
  { name: 'readKeyA', kind: 'apiKey', scope: 'read', tenant: 'a' },
  { name: 'readKeyB', kind: 'apiKey', scope: 'read', tenant: 'b' },
] as const satisfies readonly MatrixCaller[];

export type CallerName = (typeof MATRIX_CALLERS)[number]['name'];

export type MatrixRequest = { path: string; body?: object };

/** How one route is tried. */
export type RouteCase = {
  /**
   * The request that addresses tenant A's resource, made once per caller. `admitted` says
   * whether this caller is expected to succeed, so that a case whose success consumes its
   * resource (a void, a delete) can make a fresh one for it alone.
   */
  request: (caller: CallerName, admitted: boolean) => MatrixRequest | Promise<MatrixRequest>;
  /**
   * `tenant`: the request is about tenant A's data, so another tenant's caller gets
   * `otherTenant`. `shared`: data of no tenant (meters, public plans, the caller itself);
   * every admitted caller gets the same answer.
   */
  owner: 'tenant' | 'shared';
  /** What another tenant's admitted caller gets; 404 unless the route documents otherwise. */
  otherTenant?: { status: number; why: string };
  /** The state a refused request must leave as it was, read before and after each refusal. */
  unchanged?: () => Promise<unknown>;
};

/** Whether the route's access rule lets this caller in (before any tenant check). */
export function admits(access: Access, caller: MatrixCaller): boolean {
  if ('public' in access) return true;
  return caller.kind === 'user' ? access.roles.includes(caller.role) : (access.apiKey ?? []).includes(caller.scope);
}

/** The statuses this caller may get: one, or the route's declared 2xx statuses for a success. */
export function expectedStatuses(
  route: Pick<RouteDef, 'access' | 'responses'>,
  c: Pick<RouteCase, 'owner' | 'otherTenant'>,
  caller: MatrixCaller,
): readonly number[] {
  if (!admits(route.access, caller)) return [403];
  if (c.owner === 'tenant' && caller.tenant === 'b') return [c.otherTenant?.status ?? 404];
  return Object.keys(route.responses)
    .map(Number)
    .filter((s) => s >= 200 && s < 300);
}

/** A caller expected to succeed: admitted, and not another tenant's caller on tenant A's data. */
export function expectsSuccess(
  route: Pick<RouteDef, 'access' | 'responses'>,
  c: Pick<RouteCase, 'owner' | 'otherTenant'>,
  caller: MatrixCaller,
): boolean {
  return expectedStatuses(route, c, caller).every((s) => s >= 200 && s < 300);
}

/**
 * What keeps the matrix complete: every route is either a case or public with a reason, a
 * route listed as public really is, and no case or reason names a route that does not exist.
 */
export function coverageProblems(
  routes: readonly Pick<RouteDef, 'operationId' | 'access'>[],
  cases: Readonly<Record<string, unknown>>,
  publicReasons: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  const ids = new Set(routes.map((r) => r.operationId));
  for (const r of routes) {
    const isPublic = 'public' in r.access;
    if (isPublic && !publicReasons[r.operationId]) problems.push(`${r.operationId}: public, but not listed as public with a reason`);
    if (!isPublic && !(r.operationId in cases)) problems.push(`${r.operationId}: not in the matrix`);
    if (!isPublic && publicReasons[r.operationId]) problems.push(`${r.operationId}: listed as public, but it is not`);
  }
  for (const id of [...Object.keys(cases), ...Object.keys(publicReasons)]) if (!ids.has(id)) problems.push(`${id}: no such route`);
  return problems;
}
