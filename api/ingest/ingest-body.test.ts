import { describe, expect, it } from 'vitest';
import { readIngestBody } from './ingest-body.ts';
import { HttpProblem } from '../http/problem.ts';

const problemOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof HttpProblem ? { status: err.status, errors: err.errors } : err;
  }
  return undefined;
};

describe('readIngestBody', () => {
  it.each([
    ['one plain event', 'application/json', '{"id":"a","type":"t"}', 'plain', 1],
    ['a plain array', 'application/json', '[{"id":"a","type":"t"},{"id":"b","type":"t"}]', 'plain', 2],
    ['{events: [...]}', 'application/json', '{"events":[{"id":"a","type":"t"}]}', 'plain', 1],
    ['a structured CloudEvent', 'application/cloudevents+json', '{"specversion":"1.0","id":"a","type":"t"}', 'cloudevent', 1],
    ['a CloudEvents batch', 'application/cloudevents-batch+json', '[{"specversion":"1.0","id":"a","type":"t"}]', 'cloudevent', 1],
  ])('reads %s', (_name, type, text, shape, count) => {
    const body = readIngestBody(type, {}, text);
    expect(body.shape).toBe(shape);
    expect(body.events).toHaveLength(count);
  });

  it('reads binary mode from ce-* headers with the body as data', () => {
    const body = readIngestBody(
      'application/json',
      { 'ce-specversion': '1.0', 'ce-id': 'a', 'ce-type': 't', 'ce-source': '/s', 'ce-subject': 'acme' },
      '{"tokens":12345678901234567}',
    );
    expect(body).toEqual({
      shape: 'cloudevent',
      events: [{ specversion: '1.0', id: 'a', type: 't', source: '/s', subject: 'acme', data: { tokens: '12345678901234567' } }],
    });
  });

  it.each([
    ['invalid JSON', 'application/json', '{', 400],
    ['an empty batch', 'application/json', '[]', 400],
    ['a batch that is not an array', 'application/cloudevents-batch+json', '{}', 400],
    ['10,001 events', 'application/json', JSON.stringify(Array.from({ length: 10_001 }, () => ({}))), 413],
  ])('refuses %s', (_name, type, text, status) => {
    expect(problemOf(() => readIngestBody(type, {}, text))).toMatchObject({ status });
  });

  it('refuses binary mode with a non-JSON body type (415)', () => {
    expect(problemOf(() => readIngestBody('text/plain', { 'ce-specversion': '1.0' }, 'x'))).toMatchObject({ status: 415 });
  });
});
