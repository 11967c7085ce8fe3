import type { IngestResult, Problem } from './api-types.ts';
import { parseRetryAfter } from './retry-delay.ts';

/**
 * What one POST of a batch came to. Only a 202 with its body read is `sent`. What may be tried
 * again with the same ids is `retry`: 429 and 503 (overload, with Retry-After), other 5xx and 408,
 * a network error or a timeout, and a 202 whose body was cut off (the server may have committed;
 * the retry is then a duplicate that reads deduplicate). 413 asks for a smaller batch; every
 * other answer is final.
 */
export type Attempt =
  | { kind: 'sent'; result: IngestResult }
  | { kind: 'retry'; error: string; status?: number; retryAfterMs?: number }
  | { kind: 'too_large'; problem?: Problem }
  | { kind: 'refused'; status: number; problem?: Problem };

export type SendRequest = {
  fetch: typeof fetch;
  endpoint: string;
  apiKey: string;
  body: string;
  timeoutMs: number;
  now: () => number;
};

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

async function readProblem(res: Response): Promise<Problem | undefined> {
  try {
    const body = (await res.json()) as Problem;
    return body !== null && typeof body === 'object' ? body : undefined;
  } catch {
    return undefined;
  }
}

export async function sendBatch(req: SendRequest): Promise<Attempt> {
  let res: Response;
  try {
    res = await req.fetch(req.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${req.apiKey}` },
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    return { kind: 'retry', error: describe(err) };
  }
  if (res.status === 202) {
    try {
      return { kind: 'sent', result: (await res.json()) as IngestResult };
    } catch (err) {
      return { kind: 'retry', status: 202, error: `the 202 body could not be read: ${describe(err)}` };
    }
  }
  const problem = await readProblem(res);
  if (RETRYABLE(res.status)) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), req.now());
    return {
      kind: 'retry',
      status: res.status,
      error: `${res.status}${problem?.detail ? `: ${problem.detail}` : ''}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (res.status === 413) return { kind: 'too_large', ...(problem ? { problem } : {}) };
  return { kind: 'refused', status: res.status, ...(problem ? { problem } : {}) };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : '';
  return `${err.name}: ${err.message}${code}`;
}
