import { describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../harness/environment.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { MAX_JSON_DEPTH } from '../../api/http/json-shape.ts';

// Values no store can keep as sent (a NUL character: PostgreSQL's text refuses it) and bodies
// nested deep enough to overflow the stack when serialised again must be a 400 naming the
// field, write nothing, and leave the server serving.

const env = useTestEnvironment();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const nestedData = (depth: number) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { n: v };
  return v as Record<string, unknown>;
};

async function stillServing() {
  const res = await env.api.request.get('/api/auth/me').set(auth(env.api.tokens.admin));
  expect(res.status).toBe(200);
}

async function tenantCount(): Promise<number> {
  const owner = await env.db.owner();
  try {
    return Number((await owner.query('SELECT count(*) AS n FROM tenants')).rows[0].n);
  } finally {
    await owner.end();
  }
}

async function storedEvents(prefix: string): Promise<number> {
  const rs = await env.ch.client.query({
    query: 'SELECT count() AS n FROM usage_events WHERE startsWith(event_id, {p:String})',
    query_params: { p: prefix },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

describe('a NUL character', () => {
  it('in a sign-up field is 400 naming it, and no tenant is created', async () => {
    const before = await tenantCount();
    const res = await env.api.request
      .post('/api/auth/register')
      .send({ email: 'nul@example.test', password: 'a long enough password', tenantName: 'Acme\u0000Corp' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'tenantName', message: 'must not contain the NUL character (U+0000)' }]);
    expectResponseMatchesSpec('post', '/api/auth/register', res);
    expect(await tenantCount()).toBe(before);
    await stillServing();
  });

  it('in a nested body field (a meter filter) is 400 naming the path', async () => {
    const res = await env.api.request
      .post('/api/meters')
      .set(auth(env.api.tokens.admin))
      .send({ code: 'nul-meter', name: 'Nul', eventType: 'nul', aggregation: 'count', filters: { region: 'eu\u0000' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('filters.region');
    expect((await env.api.request.get('/api/meters/nul-meter').set(auth(env.api.tokens.admin))).status).toBe(404);
  });

  it('in a query value is 400 naming it', async () => {
    const res = await env.api.request.get('/api/alerts').query({ kind: 'usage_spike\u0000' }).set(auth(env.api.tokens.admin));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.kind');
    expectResponseMatchesSpec('get', '/api/alerts', res);
  });

  it('in an event type is 400 naming the event, and nothing of the request is stored', async () => {
    const res = await env.api.request
      .post('/api/usage/ingest')
      .set('X-API-Key', env.api.apiKeys.a)
      .send({
        events: [
          { id: 'nul-ok-1', type: 'llm' },
          { id: 'nul-bad-2', type: 'll\u0000m' },
        ],
      });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ index: 1, field: 'events[1].type', message: 'must not contain the NUL character (U+0000)' }]);
    expectResponseMatchesSpec('post', '/api/usage/ingest', res);
    expect(await storedEvents('nul-')).toBe(0);
    await stillServing();
  });
});

describe('deep nesting', () => {
  it(`accepts event data nested ${MAX_JSON_DEPTH - 3} levels (the event's own three included)`, async () => {
    const res = await env.api.request
      .post('/api/usage/ingest')
      .set('X-API-Key', env.api.apiKeys.a)
      .send({ events: [{ id: 'deep-ok-1', type: 'llm', data: nestedData(MAX_JSON_DEPTH - 2) }] });
    expect(res.status).toBe(202);
    expect(await storedEvents('deep-ok-')).toBe(1);
  });

  it('refuses event data nested 50,000 deep with 400 naming the event, and keeps serving', async () => {
    const depth = 50_000;
    const body = `{"events":[{"id":"deep-bad-1","type":"llm","data":${'{"n":'.repeat(depth)}1${'}'.repeat(depth)}}]}`;
    const res = await env.api.request
      .post('/api/usage/ingest')
      .set('X-API-Key', env.api.apiKeys.a)
      .set('Content-Type', 'application/json')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ index: 0, message: `nests deeper than ${MAX_JSON_DEPTH} levels` });
    expect(res.body.errors[0].field).toMatch(/^events\[0\]\.data(\.n)+$/);
    expect(await storedEvents('deep-bad-')).toBe(0);
    await stillServing();
  });

  it('refuses an ordinary body nested too deep with 400', async () => {
    const res = await env.api.request
      .post('/api/meters')
      .set(auth(env.api.tokens.admin))
      .set('Content-Type', 'application/json')
      .send(`{"code":"deep","name":"Deep","eventType":"deep","aggregation":"count","filters":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/nests deeper than/);
    await stillServing();
  });
});
