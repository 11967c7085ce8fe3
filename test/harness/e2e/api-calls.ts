import type { Response } from 'playwright-core';

// The API calls a dashboard page costs. The dashboard's server counts the calls a request makes
// to the API, and in how many round trips (calls that start while none is in flight begin a new
// one), and reports them in the `x-api-calls` header of its answer
// (dashboard/src/lib/server/api-calls.ts). The session check every request makes is reported
// apart (`session=1`).
export type Calls = { load: number; rounds: number; session: number };

export function callsOf(response: Response | null): Calls {
  const m = /^load=(\d+); rounds=(\d+); session=(\d+)$/.exec(response?.headers()['x-api-calls'] ?? '');
  if (!m) throw new Error(`no x-api-calls header on ${response?.url()}: ${JSON.stringify(response?.headers())}`);
  return { load: Number(m[1]), rounds: Number(m[2]), session: Number(m[3]) };
}
