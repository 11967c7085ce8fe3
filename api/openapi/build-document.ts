import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { problemSchema } from '../http/problem.ts';
import { frameResponses } from '../http/frame-responses.ts';

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect); named schemas become components. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    reused: 'inline',
    override: ({ jsonSchema }) => {
      // BigInt and Date never leave the API as such; they are strings on the wire.
      if ((jsonSchema as { type?: string }).type === 'integer' && (jsonSchema as { format?: string }).format === 'int64') {
        (jsonSchema as JsonSchema).type = 'string';
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  for (const [name, def] of Object.entries(defs)) components[name] = rewriteRefs(def) as JsonSchema;
  return rewriteRefs(json) as JsonSchema;
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v),
      ]),
    );
  }
  return node;
}

/** Koa's /tenants/:id → OpenAPI's /tenants/{id}. */
export const toOpenApiPath = (koaPath: string) => `/api${koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;

function parameters(route: RouteDef, components: Record<string, JsonSchema>) {
  const out: Operation[] = [];
  const add = (where: 'path' | 'query', schema: z.ZodType | undefined) => {
    if (!schema) return;
    const json = toSchema(schema, 'input', components);
    const props = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props)) {
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: s,
        ...(s.description ? { description: s.description } : {}),
      });
    }
  };
  add('path', route.params);
  add('query', route.query);
  return out;
}

/**
 * One alternative per credential, and per API-key scope that admits the route: OpenAPI 3.1
 * reads the list beside a non-OAuth scheme as the roles it requires, and the alternatives as "or".
 */
function security(route: RouteDef) {
  if ('public' in route.access) return [];
  const scopes = route.access.apiKey ?? [];
  return [{ bearerJwt: [] }, ...scopes.flatMap((scope) => [{ apiKeyHeader: [scope] }, { apiKeyBearer: [scope] }])];
}

export function buildOpenApiDocument(routes: readonly RouteDef[], info: { version: string }) {
  const components: Record<string, JsonSchema> = {};
  // Registers the Problem component (the schema carries its id) for every error response.
  toSchema(problemSchema, 'output', components);
  const paths: Record<string, Record<string, Operation>> = {};
  const tags = new Set<string>();
  for (const route of routes) {
    tags.add(route.tag);
    const op: Operation = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      security: security(route),
      parameters: parameters(route, components),
      responses: Object.fromEntries(
        Object.entries({ ...frameResponses(route), ...route.responses })
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([status, r]) => {
            const isProblem = Number(status) >= 400;
            const contentType = r.contentType ?? (isProblem ? 'application/problem+json' : 'application/json');
            const schema = r.schema
              ? toSchema(r.schema, 'output', components)
              : isProblem
                ? { $ref: '#/components/schemas/Problem' }
                : undefined;
            return [
              status,
              {
                description: r.description,
                ...(schema
                  ? { content: { [contentType]: { schema } } }
                  : contentType !== 'application/json'
                    ? { content: { [contentType]: {} } }
                    : {}),
              },
            ];
          }),
      ),
    };
    if (route.body) {
      const schema = toSchema(route.body.schema, 'input', components);
      const types = route.body.contentTypes ?? ['application/json'];
      const examples = route.body.examples ?? {};
      op.requestBody = {
        required: true,
        content: Object.fromEntries(
          types.map((t) => {
            const forType = Object.entries(examples).filter(([, e]) => (e.contentType ?? 'application/json') === t);
            return [
              t,
              {
                schema,
                ...(forType.length
                  ? { examples: Object.fromEntries(forType.map(([k, e]) => [k, { summary: e.summary, value: e.value }])) }
                  : {}),
              },
            ];
          }),
        ),
      };
    }
    const path = toOpenApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Meterplane API',
      version: info.version,
      description: 'Usage metering and billing. Amounts and quantities are decimal strings; errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/' }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Session token from POST /api/auth/login' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Tenant API key (mp_live_...)' },
        apiKeyBearer: { type: 'http', scheme: 'bearer', description: 'Tenant API key sent as a bearer token' },
      },
    },
  };
}
