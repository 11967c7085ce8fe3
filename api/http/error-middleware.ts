import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HttpProblem, problemBody } from './problem.ts';
import { validationProblem } from './zod-errors.ts';

/**
 * The one place errors become responses: every failure leaves as problem+json.
 * Anything not recognised as the client's fault is a logged 500 without internals.
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
      else {
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
