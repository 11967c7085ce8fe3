import { setTimeout as sleep } from 'node:timers/promises';

/**
 * When a workflow task that carries an update fails, Temporal rejects the update with
 * FAILED_PRECONDITION "…unexpected workflow task failure". The common cause is harmless: the
 * workflow tried to finish its task (continue-as-new, say) while a signal arrived, and the server
 * refused the task's commands so the worker sees the signal first (UnhandledCommand). Nothing of
 * that task was recorded, so the update was never accepted: sending it again, under the same
 * update id, is safe. Bounded: 5 tries, 0.1 to 1.6 s apart.
 */
const TRIES = 5;

export function isTaskFailureRejection(err: unknown): boolean {
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth += 1) {
    if (typeof e.message === 'string' && /unexpected workflow task failure/i.test(e.message)) return true;
  }
  return false;
}

export async function sendUpdate<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= TRIES || !isTaskFailureRejection(err)) throw err;
      await sleep(100 * 2 ** (attempt - 1));
    }
  }
}
