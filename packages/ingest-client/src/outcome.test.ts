import { describe, expect, it } from 'vitest';
import { blameOf, warningsOf } from './outcome.ts';

describe('blameOf (a 400)', () => {
  it('refuses the events the API names, each with its own errors relative to the event, and frees the rest', () => {
    const problem = {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'events[1].data.tokens: …',
      errors: [
        { index: 1, field: 'events[1].data.tokens', message: 'must be a number' },
        { index: 1, field: 'events[1].time', message: 'must be RFC 3339' },
        { index: 3, field: 'events[3]', message: 'must be a JSON object' },
      ],
    };
    const { errors, innocent } = blameOf(5, problem);
    expect(Object.fromEntries(errors)).toEqual({
      1: [
        { field: 'data.tokens', message: 'must be a number' },
        { field: 'time', message: 'must be RFC 3339' },
      ],
      3: [{ field: '', message: 'must be a JSON object' }],
    });
    expect(innocent).toEqual([0, 2, 4]);
  });

  it('blames every event when the 400 names none (a malformed body), or has no body', () => {
    const bodyProblem = {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'x',
      errors: [{ field: 'body', message: 'not valid JSON' }],
    };
    const named = blameOf(2, bodyProblem);
    expect(named.innocent).toEqual([]);
    expect([...named.errors.keys()]).toEqual([0, 1]);
    expect(named.errors.get(0)).toEqual([{ field: 'body', message: 'not valid JSON' }]);
    expect(blameOf(3, undefined).innocent).toEqual([]);
  });

  it('ignores an index outside the batch rather than blaming a stranger', () => {
    const { errors, innocent } = blameOf(2, {
      type: 'x',
      title: 'x',
      status: 400,
      detail: 'x',
      errors: [{ index: 7, field: 'events[7].id', message: 'x' }],
    });
    expect(innocent).toEqual([]);
    expect(errors.size).toBe(2);
  });
});

describe('warningsOf (a 202)', () => {
  it('gives an indexed warning to its event and a type warning to the events of that type; lists each once', () => {
    const batch = [
      { id: 'a', type: 'llm' },
      { id: 'b', type: 'new_type' },
      { id: 'c', type: 'new_type' },
    ];
    const late = { type: 'late_beyond_horizon', index: 0, message: 'late' };
    const unmetered = { type: 'new_type', message: 'no meter uses event type "new_type"' };
    const more = { type: 'late_beyond_horizon', message: '3 more events' };
    const { perEvent, all } = warningsOf(batch, { accepted: 3, warnings: [late, unmetered, more] });
    expect(perEvent).toEqual([[late], [unmetered], [unmetered]]);
    expect(all).toEqual([{ ...late, eventId: 'a' }, unmetered, more]);
  });
});
