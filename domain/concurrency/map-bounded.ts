/**
 * `work` over every item, at most `limit` at a time, the results in the order of the items.
 * The first rejection rejects the whole (the work already started still runs to its end, and
 * nothing new starts). Activities use it for their reads and the workflows for their fan-out:
 * inside a workflow the order in which work starts follows the order in which earlier work
 * finished, which replay reproduces, so the commands stay the same.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a positive integer, not ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next;
      next += 1;
      try {
        results[i] = await work(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
