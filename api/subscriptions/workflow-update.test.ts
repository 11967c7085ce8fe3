import { describe, expect, it } from 'vitest';
import { isTaskFailureRejection, sendUpdate } from './workflow-update.ts';

// The shape the Temporal client throws: a ServiceError whose cause is the gRPC error.
const rejection = () =>
  Object.assign(new Error('Workflow Update failed'), {
    name: 'ServiceError',
    cause: Object.assign(
      new Error('9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.'),
      { code: 9 },
    ),
  });

describe('sendUpdate', () => {
  it('recognises the task-failure rejection through its cause, and nothing else', () => {
    expect(isTaskFailureRejection(rejection())).toBe(true);
    expect(isTaskFailureRejection(new Error('workflow execution already completed'))).toBe(false);
    expect(isTaskFailureRejection(undefined)).toBe(false);
  });

  it('sends again after a task-failure rejection and answers the accepted outcome', async () => {
    let calls = 0;
    const result = await sendUpdate(async () => {
      calls += 1;
      if (calls < 3) throw rejection();
      return 'accepted';
    });
    expect([result, calls]).toEqual(['accepted', 3]);
  });

  it('gives up after 5 tries, and never retries another error', async () => {
    let calls = 0;
    await expect(
      sendUpdate(async () => {
        calls += 1;
        throw rejection();
      }),
    ).rejects.toThrow('Workflow Update failed');
    expect(calls).toBe(5);
    let other = 0;
    await expect(
      sendUpdate(async () => {
        other += 1;
        throw new Error('validator refused');
      }),
    ).rejects.toThrow('validator refused');
    expect(other).toBe(1);
  });
});
