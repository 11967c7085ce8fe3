import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HttpProblem, problemBody } from './problem.ts';
import { validationProblem } from './zod-errors.ts';
import { TRANSIENT_RETRY_AFTER_SECONDS, isTransientStoreFailure } from './transient-failure.ts';

/**
 * The one place errors become responses: every failure leaves as problem+json. A store that
 * was busy or out of reach (a deadlock, a timeout, a lost connection) is a 503 with Retry-After;
 * anything else not recognised as the client's fault is a logged 500 without internals.
 */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpProblem(404, `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      let problem: HttpProblem;
      if (err instanceof HttpProblem) problem = err;
      else if (err instanceof z.ZodError) problem = validationProblem(err);
      else if (isClientHttpError(err)) problem = new HttpProblem(err.status, err.message);
      else if (isTransientStoreFailure(err)) {
        ((ctx.state.log as Logger | undefined) ?? logger).warn({ err }, 'a store was busy or unreachable; answered 503');
        problem = new HttpProblem(503, 'a store was busy or out of reach, and nothing was changed; send the same request again', {
          headers: { 'Retry-After': String(TRANSIENT_RETRY_AFTER_SECONDS) },
        });
      } else {
        ((ctx.state.log as Logger | undefined) ?? logger).error({ err }, 'unhandled error');
        problem = new HttpProblem(500, 'internal error; the request id identifies it in the logs');
      }
      ctx.status = problem.status;
      for (const [k, v] of Object.entries(problem.headers)) ctx.set(k, v);
      ctx.type = 'application/problem+json';
      ctx.body = problemBody(
        problem.status,
        problem.message,
        problem.errors,
        ctx.state.requestId as string | undefined,
        problem.extensions,
      );
    }
  };
}

function isClientHttpError(err: unknown): err is { status: number; message: string } {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: boolean }).expose === true;
}
