/**
 * Coalesces a burst of calls into one: `run` happens once the calls pause for `waitMs`, and
 * never later than `maxWaitMs` after the first call of the burst, so a steady stream of live
 * events (a tick every second) still refreshes the page every few seconds instead of never.
 */
export function debounce(run: () => void, { waitMs, maxWaitMs }: { waitMs: number; maxWaitMs: number }) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstAt: number | undefined;
  const fire = () => {
    timer = undefined;
    firstAt = undefined;
    run();
  };
  return {
    schedule(): void {
      const now = Date.now();
      firstAt ??= now;
      clearTimeout(timer);
      timer = setTimeout(fire, Math.min(now + waitMs, firstAt + maxWaitMs) - now);
    },
    cancel(): void {
      clearTimeout(timer);
      timer = undefined;
      firstAt = undefined;
    },
  };
}
