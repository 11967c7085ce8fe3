import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiCallLedger, parseApiCalls } from './api-calls.ts';

// A fetch whose answers the test releases one by one, so overlapping and sequential calls can be told apart.
function controllableFetch() {
  const pending: (() => void)[] = [];
  vi.stubGlobal('fetch', () => new Promise<Response>((resolve) => pending.push(() => resolve(new Response('{}')))));
  return {
    releaseAll: async () => {
      while (pending.length) pending.shift()!();
      await Promise.resolve();
    },
  };
}
afterEach(() => vi.unstubAllGlobals());

const call = (ledger: ApiCallLedger) => ledger.fetch(new Request('http://api.test/x'));

describe('ApiCallLedger', () => {
  it('counts calls started together as one round trip, and a call after them as the next', async () => {
    const f = controllableFetch();
    const ledger = new ApiCallLedger();
    const session = call(ledger);
    await f.releaseAll();
    await session;
    ledger.sessionChecked();
    const first = Promise.all([call(ledger), call(ledger), call(ledger)]);
    await f.releaseAll();
    await first;
    const second = Promise.all([call(ledger), call(ledger)]);
    await f.releaseAll();
    await second;
    expect(parseApiCalls(ledger.header)).toEqual({ load: 5, rounds: 2, session: 1 });
  });

  it('counts a chain of awaited calls as one round trip each', async () => {
    const f = controllableFetch();
    const ledger = new ApiCallLedger();
    for (let i = 0; i < 4; i++) {
      const c = call(ledger);
      await f.releaseAll();
      await c;
    }
    expect(ledger.header).toBe('load=4; rounds=4; session=0');
  });

  it('parses nothing from a missing or foreign header', () => {
    expect(parseApiCalls(null)).toBeNull();
    expect(parseApiCalls('load=1')).toBeNull();
  });
});
