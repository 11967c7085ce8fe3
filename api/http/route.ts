import type { Context } from 'koa';
import type { z } from 'zod';

/** Every role, the one list the schemas and route access rules take it from. */
export const ROLES = ['admin', 'finance', 'customer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a tenant API key may do: `ingest` posts usage, `read` reads that tenant's usage,
 * invoices and alerts. Keys carry a set of them; routes say which ones admit a key.
 */
export const API_KEY_SCOPES = ['ingest', 'read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Who is calling: a signed-in user (JWT) or a tenant's service (API key). */
export type Principal =
  | { kind: 'user'; userId: string; email: string; role: Role; tenantId: string | null }
  | { kind: 'apiKey'; keyId: string; tenantId: string; scopes: readonly ApiKeyScope[] };

/**
 * Who may call a route. `public` needs nothing; otherwise the caller must be a user in
 * one of `roles`, or a tenant API key that carries at least one of the scopes in `apiKey`
 * (no `apiKey`: no key may call it).
 */
export type Access = { public: true } | { roles: readonly Role[]; apiKey?: readonly ApiKeyScope[] };

export type ResponseSpec = { description: string; schema?: z.ZodType; contentType?: string };

export type BodySpec<B extends z.ZodType> = {
  schema: B;
  /** Accepted media types (default application/json). */
  contentTypes?: readonly string[];
  /** Bytes (default 1 MiB). */
  limit?: number;
  examples?: Record<string, { summary: string; value: unknown; contentType?: string }>;
};

/**
 * What a handler receives. `principal` is the caller: a route with an access rule is only
 * called once the caller passed it, so its handler gets a Principal; a public route's gets null.
 */
export type RouteInput<P, Q, B, C extends Principal | null = Principal | null> = {
  params: P;
  query: Q;
  body: B;
  principal: C;
  ctx: Context;
};

/** The caller a route's handler gets, by its access rule. */
export type CallerOf<A extends Access> = A extends { public: true } ? null : Principal;

export type Reply = { status: number; body?: unknown; headers?: Record<string, string>; type?: string };

export type RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  A extends Access = Access,
> = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Koa-style path relative to /api, e.g. /tenants/:id */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  description?: string;
  access: A;
  params?: P;
  query?: Q;
  /** A zod-validated body, or 'raw' when the handler reads the stream itself (ingest). */
  body?: BodySpec<B> | { raw: true; contentTypes: readonly string[]; schema: z.ZodType; examples?: BodySpec<B>['examples'] };
  responses: Record<number, ResponseSpec>;
  handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>, CallerOf<A>>) => Promise<Reply>;
};

/** Identity function that keeps each route's schema types linked to its handler. */
export function defineRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  A extends Access = Access,
>(def: RouteDef<P, Q, B, A>): RouteDef {
  return def as unknown as RouteDef;
}
