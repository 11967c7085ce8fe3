import type { ActivityInboundCallsInterceptor, WorkerInterceptors } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';

type Times = { calls: number; totalMs: number; maxMs: number };

/**
 * Times every activity execution of a worker (local ones too), by activity type: where the
 * time of a close goes, in the worker that runs it.
 */
export function activityTiming(): { interceptors: WorkerInterceptors; summary: () => Record<string, Times & { meanMs: number }> } {
  const byType = new Map<string, Times>();
  const inbound = (ctx: Context): ActivityInboundCallsInterceptor => ({
    async execute(input, next) {
      const started = performance.now();
      try {
        return await next(input);
      } finally {
        const ms = performance.now() - started;
        const type = ctx.info.activityType;
        const t = byType.get(type) ?? { calls: 0, totalMs: 0, maxMs: 0 };
        byType.set(type, { calls: t.calls + 1, totalMs: t.totalMs + ms, maxMs: Math.max(t.maxMs, ms) });
      }
    },
  });
  return {
    interceptors: { activity: [(ctx) => ({ inbound: inbound(ctx) })] },
    summary: () =>
      Object.fromEntries(
        [...byType].map(([type, t]) => [
          type,
          { ...t, totalMs: Math.round(t.totalMs), maxMs: Math.round(t.maxMs), meanMs: Math.round(t.totalMs / t.calls) },
        ]),
      ),
  };
}
