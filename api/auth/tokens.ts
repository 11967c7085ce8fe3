import jwt from 'jsonwebtoken';
import { Strategy as JwtStrategy, ExtractJwt, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { ROLES, type Role } from '../http/route.ts';

export type AuthConfig = { jwtSecret: string; issuer: string; audience: string; ttlSeconds: number };

export const SESSION_COOKIE = 'mp_session';

const claims = z.object({
  sub: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  tenantId: z.string().nullable(),
  // The user's token_version when the token was issued (absent in tokens issued before
  // versions existed, which counts as 0); see session-check.ts.
  ver: z.number().int().nonnegative().optional(),
});
export type SessionClaims = z.infer<typeof claims>;

export function signSessionToken(config: AuthConfig, user: { id: string; email: string; role: Role; tenantId: string | null; tokenVersion: number }): string {
  return jwt.sign({ email: user.email, role: user.role, tenantId: user.tenantId, ver: user.tokenVersion }, config.jwtSecret, {
    algorithm: 'HS256',
    subject: user.id,
    issuer: config.issuer,
    audience: config.audience,
    expiresIn: config.ttlSeconds,
  });
}

/**
 * passport-jwt verifies the token (HS256 only, so `alg: none` and key-confusion tokens
 * fail; iss, aud and exp checked). The token comes from the bearer header, else from
 * the dashboard's httpOnly session cookie.
 */
export function createJwtVerifier(config: AuthConfig) {
  const fromCookie = (req: IncomingMessage) => {
    const cookie = req.headers.cookie ?? '';
    const match = cookie.split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    return match ? decodeURIComponent(match.slice(SESSION_COOKIE.length + 1)) : null;
  };
  const options: StrategyOptionsWithoutRequest = {
    jwtFromRequest: ExtractJwt.fromExtractors([ExtractJwt.fromAuthHeaderAsBearerToken(), fromCookie as never]),
    secretOrKey: config.jwtSecret,
    issuer: config.issuer,
    audience: config.audience,
    algorithms: ['HS256'],
  };
  const strategy = new JwtStrategy(options, (payload: unknown, done: (err: unknown, user?: unknown) => void) => {
    const parsed = claims.safeParse(payload);
    done(null, parsed.success ? parsed.data : false);
  });

  /** Resolves the claims, or null for a missing, invalid, expired or foreign token. */
  return (req: IncomingMessage): Promise<SessionClaims | null> =>
    new Promise((resolve, reject) => {
      // A passport strategy reports through success/fail/error, which passport's
      // middleware normally assigns; this adapter assigns them per call.
      const attempt = Object.create(strategy) as JwtStrategy & {
        success: (user: SessionClaims) => void;
        fail: () => void;
        error: (err: unknown) => void;
      };
      attempt.success = (user) => resolve(user);
      attempt.fail = () => resolve(null);
      attempt.error = (err) => reject(err);
      attempt.authenticate(req as never, {});
    });
}
