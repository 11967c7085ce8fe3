/**
 * Polls `probe` until it gives a truthy value, which it returns, or throws naming `what` once
 * `timeoutMs` have passed. For outcomes a test cannot await directly, such as an activity's
 * write seen through the database.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
