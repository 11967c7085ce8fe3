import { describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../../test/harness/environment.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';

const env = useTestEnvironment();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const tokens = {
  code: 'llm_tokens',
  name: 'LLM tokens',
  eventType: 'llm.completion',
  aggregation: 'sum',
  valueProperty: 'usage.total_tokens',
  filters: { region: ['eu', 1] },
  groupBy: ['model'],
};

describe('meters', () => {
  it('an admin defines a meter; every signed-in role reads it', async () => {
    const res = await env.api.request.post('/api/meters').set(auth(env.api.tokens.admin)).send(tokens);
    expect(res.status).toBe(201);
    expectResponseMatchesSpec('POST', '/api/meters', res);
    expect(res.headers.location).toBe('/api/meters/llm_tokens');
    expect(res.body).toMatchObject({ ...tokens, filters: { region: ['eu', '1'] } });
    for (const token of [env.api.tokens.finance, env.api.tokens.customerA]) {
      const one = await env.api.request.get('/api/meters/llm_tokens').set(auth(token));
      expect(one.status).toBe(200);
      expect(one.body.aggregation).toBe('sum');
      const list = await env.api.request.get('/api/meters').set(auth(token));
      expect(list.body.items.map((m: { code: string }) => m.code)).toContain('llm_tokens');
    }
  });

  it('refuses a duplicate code with 409', async () => {
    const res = await env.api.request.post('/api/meters').set(auth(env.api.tokens.admin)).send(tokens);
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ field: 'code', message: 'is already used by another meter' }]);
  });

  it.each([
    [
      'sum without valueProperty',
      { ...tokens, code: 'x1', valueProperty: undefined },
      'valueProperty',
      'is required for the sum aggregation',
    ],
    [
      'an unknown aggregation',
      { ...tokens, code: 'x2', aggregation: 'median' },
      'aggregation',
      'must be one of count, sum, max, unique_count, latest',
    ],
    [
      'count with a valueProperty',
      { ...tokens, code: 'x3', aggregation: 'count' },
      'valueProperty',
      'must be absent for count, which counts events',
    ],
  ])('refuses %s with 400 naming the field', async (_name, body, field, message) => {
    const res = await env.api.request.post('/api/meters').set(auth(env.api.tokens.admin)).send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toContainEqual({ field, message });
  });

  it('only admins define meters; API keys cannot', async () => {
    expect(
      (
        await env.api.request
          .post('/api/meters')
          .set(auth(env.api.tokens.finance))
          .send({ ...tokens, code: 'f' })
      ).status,
    ).toBe(403);
    expect(
      (
        await env.api.request
          .post('/api/meters')
          .set(auth(env.api.tokens.customerA))
          .send({ ...tokens, code: 'c' })
      ).status,
    ).toBe(403);
    expect(
      (
        await env.api.request
          .post('/api/meters')
          .set('X-API-Key', env.api.apiKeys.a)
          .send({ ...tokens, code: 'k' })
      ).status,
    ).toBe(403);
    expect((await env.api.request.post('/api/meters').send({ ...tokens, code: 'n' })).status).toBe(401);
  });

  it('answers 404 for an unknown meter', async () => {
    expect((await env.api.request.get('/api/meters/nope').set(auth(env.api.tokens.admin))).status).toBe(404);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await env.api.request.get('/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/meters',
        '/api/meters/{code}',
        '/api/usage/ingest',
        '/api/events',
        '/api/usage/summary',
        '/api/usage/timeseries',
      ]),
    );
    const ingest = doc.body.paths['/api/usage/ingest'].post;
    expect(Object.keys(ingest.requestBody.content)).toEqual([
      'application/cloudevents+json',
      'application/cloudevents-batch+json',
      'application/json',
    ]);
    expect(Object.keys(ingest.responses)).toEqual(expect.arrayContaining(['202', '400', '413', '503']));
  });
});
