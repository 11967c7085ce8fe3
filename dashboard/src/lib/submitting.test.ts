import { describe, expect, it } from 'vitest';
import { whileSubmitting } from './submitting.ts';

type Submit = ReturnType<typeof whileSubmitting>;
type After = (opts: { update: (o?: unknown) => Promise<void> }) => Promise<void>;

/** Runs the enhance as SvelteKit does: the submit function, then what it returns with the answer's `update`. */
async function submit(enhance: Submit, update: (o?: unknown) => Promise<void>) {
  const after = (enhance as unknown as () => After)();
  await after({ update });
}

describe('whileSubmitting', () => {
  it('is busy from the submission until the answer is applied, with the given update options', async () => {
    const states: boolean[] = [];
    const updates: unknown[] = [];
    await submit(
      whileSubmitting((b) => states.push(b), { reset: false }),
      async (o) => {
        updates.push({ options: o, busyWhileApplying: states.at(-1) });
      },
    );
    expect(states).toEqual([true, false]);
    expect(updates).toEqual([{ options: { reset: false }, busyWhileApplying: true }]);
  });

  it('frees the form when applying the answer fails', async () => {
    const states: boolean[] = [];
    const failing = submit(
      whileSubmitting((b) => states.push(b)),
      () => Promise.reject(new Error('navigation failed')),
    );
    await expect(failing).rejects.toThrow('navigation failed');
    expect(states).toEqual([true, false]);
  });
});
