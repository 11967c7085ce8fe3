import { describe, expect, it } from 'vitest';
import { createProcessFlushLock } from './usage-writer.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('createProcessFlushLock', () => {
  it('runs flushes of one tenant one at a time, in the order they asked', async () => {
    const lock = createProcessFlushLock();
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
    };
    await Promise.all([lock(['t'], job('a')), lock(['t', 'u'], job('b')), lock(['u'], job('c'))]);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('lets different tenants run at once', async () => {
    const lock = createProcessFlushLock();
    let running = 0;
    let most = 0;
    const job = async () => {
      most = Math.max(most, ++running);
      await tick();
      running -= 1;
    };
    await Promise.all([lock(['t'], job), lock(['u'], job)]);
    expect(most).toBe(2);
  });

  it('a failed flush rejects its caller and does not block the next one', async () => {
    const lock = createProcessFlushLock();
    const failed = lock(['t'], () => Promise.reject(new Error('insert failed')));
    const next = lock(['t'], async () => 'stored');
    await expect(failed).rejects.toThrow('insert failed');
    await expect(next).resolves.toBe('stored');
  });
});
