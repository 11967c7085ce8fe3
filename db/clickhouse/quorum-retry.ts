/**
 * With `insert_quorum_parallel = 0` (the cluster settings), a shard's replicated table refuses a
 * quorum insert while the previous one into it has not reached its quorum yet, so two flushes
 * of different tenants on one shard can meet that refusal. The insert is sent again after a
 * short wait: a refused insert wrote nothing on that shard, and on a shard that did take its
 * part the identical block is dropped by the replicated table's insert deduplication, so a
 * repeat never stores a row twice. Bounded: after `attempts` the refusal reaches the caller
 * (the flush fails and the client retries).
 */
export const isQuorumBusy = (e: unknown): boolean => e instanceof Error && /\bUNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE\b/.test(e.message);

export async function retryWhileQuorumBusy<T>(
  fn: () => Promise<T>,
  opts: { attempts: number; firstDelayMs: number; maxDelayMs: number } = { attempts: 12, firstDelayMs: 10, maxDelayMs: 500 },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isQuorumBusy(e) || attempt >= opts.attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.min(opts.maxDelayMs, opts.firstDelayMs * 2 ** (attempt - 1))));
    }
  }
}
