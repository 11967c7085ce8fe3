/**
 * Polls `probe` until it gives a truthy value, which it returns, or throws naming `what` once
 * `timeoutMs` have passed. For outcomes a test cannot await directly, such as an activity's
 * write seen through the database.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Reads until `done` holds, every 100 ms for at most 10 s, and returns the last value read
 * either way, so the test's own assertion on it names what was wrong.
 */
export async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 100 && !done(value); i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}
