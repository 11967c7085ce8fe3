import { describe, expect, it } from 'vitest';
import { isQuorumBusy, retryWhileQuorumBusy } from './quorum-retry.ts';

// The message a server sends (HTTP) and chdb raises, with the error's name at the end.
const busy = () =>
  new Error(
    'Code: 286. DB::Exception: Quorum for previous write has not been satisfied yet. Status: version: 1 part_name: all_1_1_0. (UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE) (version 26.7.2.1)',
  );
const fast = { attempts: 4, firstDelayMs: 1, maxDelayMs: 2 };

describe('retryWhileQuorumBusy', () => {
  it('sends the insert again while the shard refuses it for a quorum still open, then returns', async () => {
    let calls = 0;
    const result = await retryWhileQuorumBusy(async () => {
      calls += 1;
      if (calls < 3) throw busy();
      return 'stored';
    }, fast);
    expect([result, calls]).toEqual(['stored', 3]);
  });

  it('gives up after its attempts with the refusal itself', async () => {
    let calls = 0;
    const run = retryWhileQuorumBusy(async () => {
      calls += 1;
      throw busy();
    }, fast);
    await expect(run).rejects.toThrow(/UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE/);
    expect(calls).toBe(4);
  });

  it('never repeats an insert that failed for any other reason, a quorum that could not be reached included', async () => {
    for (const message of [
      'Code: 285. DB::Exception: Number of alive replicas (1) is less than requested quorum (2/3). (TOO_FEW_LIVE_REPLICAS)',
      'Code: 60. DB::Exception: Unknown table expression identifier usage_first_deliveries. (UNKNOWN_TABLE)',
    ]) {
      let calls = 0;
      await expect(
        retryWhileQuorumBusy(async () => {
          calls += 1;
          throw new Error(message);
        }, fast),
      ).rejects.toThrow(message);
      expect(calls).toBe(1);
    }
    expect(isQuorumBusy('UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE')).toBe(false);
  });
});
