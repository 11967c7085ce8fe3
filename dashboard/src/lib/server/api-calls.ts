/**
 * Counts the API calls one dashboard request makes, and in how many round trips: a round trip
 * begins whenever a call starts while no other call is in flight, so calls started together
 * (Promise.all) are one round and each call that waits for another's answer starts a new one.
 * The session check of hooks.server.ts is counted apart from the page's own loads.
 * Every answer carries the result in the `x-api-calls` header (`load=6; rounds=2; session=1`),
 * which the end-to-end journeys read to hold each page to its budget.
 */
export class ApiCallLedger {
  #inFlight = 0;
  #calls = 0;
  #rounds = 0;
  #session = 0;

  /** A fetch that records each call before handing it to the real fetch. */
  readonly fetch = async (input: Request, init?: RequestInit): Promise<Response> => {
    if (this.#inFlight === 0) this.#rounds += 1;
    this.#inFlight += 1;
    this.#calls += 1;
    try {
      return await globalThis.fetch(input, init);
    } finally {
      this.#inFlight -= 1;
    }
  };

  /** What was counted so far was the session check: the page's loads count from zero. */
  sessionChecked(): void {
    this.#session += this.#calls;
    this.#calls = 0;
    this.#rounds = 0;
  }

  get header(): string {
    return `load=${this.#calls}; rounds=${this.#rounds}; session=${this.#session}`;
  }
}

/** Parses the header back (for tests). */
export function parseApiCalls(header: string | null | undefined): { load: number; rounds: number; session: number } | null {
  const m = /^load=(\d+); rounds=(\d+); session=(\d+)$/.exec(header ?? '');
  return m ? { load: Number(m[1]), rounds: Number(m[2]), session: Number(m[3]) } : null;
}
