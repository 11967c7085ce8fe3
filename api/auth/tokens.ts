import jwt from 'jsonwebtoken';
import { Strategy as JwtStrategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { z } from 'zod';
import { ROLES, type Role } from '../http/route.ts';

export type AuthConfig = { jwtSecret: string; issuer: string; audience: string; ttlSeconds: number };

const claims = z.object({
  sub: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  tenantId: z.string().nullable(),
  /** Seconds since the epoch; every token this API signs has it. */
  exp: z.number().optional(),
  // The user's token_version when the token was issued (absent in tokens issued before
  // versions existed, which counts as 0); see session-check.ts.
  ver: z.number().int().nonnegative().optional(),
});
export type SessionClaims = z.infer<typeof claims>;

export function signSessionToken(
  config: AuthConfig,
  user: { id: string; email: string; role: Role; tenantId: string | null; tokenVersion: number },
): string {
  return jwt.sign({ email: user.email, role: user.role, tenantId: user.tenantId, ver: user.tokenVersion }, config.jwtSecret, {
    algorithm: 'HS256',
    subject: user.id,
    issuer: config.issuer,
    audience: config.audience,
    expiresIn: config.ttlSeconds,
  });
}

/** What the strategy is handed: the token that credentialOf already took from the request. */
type TokenHolder = { token: string };

/**
 * passport-jwt verifies the token (HS256 only, so `alg: none` and key-confusion tokens
 * fail; iss, aud and exp checked). It is given the token itself: reading it from headers
 * and cookies is credentials.ts's job, done once for HTTP and WebSocket alike.
 */
export function createJwtVerifier(config: AuthConfig) {
  const options: StrategyOptionsWithoutRequest = {
    jwtFromRequest: (holder: TokenHolder) => holder.token,
    secretOrKey: config.jwtSecret,
    issuer: config.issuer,
    audience: config.audience,
    algorithms: ['HS256'],
  };
  const strategy = new JwtStrategy(options, (payload: unknown, done: (err: unknown, user?: unknown) => void) => {
    const parsed = claims.safeParse(payload);
    done(null, parsed.success ? parsed.data : false);
  });

  /** Resolves the claims, or null for an invalid, expired or foreign token. */
  return (token: string): Promise<SessionClaims | null> =>
    new Promise((resolve, reject) => {
      // A passport strategy reports through success/fail/error, which passport's
      // middleware normally assigns; this adapter assigns them per call.
      const attempt = Object.create(strategy) as Omit<JwtStrategy, 'authenticate'> & {
        authenticate: (holder: TokenHolder, options: object) => void;
        success: (user: SessionClaims) => void;
        fail: () => void;
        error: (err: unknown) => void;
      };
      attempt.success = (user) => resolve(user);
      attempt.fail = () => resolve(null);
      attempt.error = (err) => reject(err);
      attempt.authenticate({ token }, {});
    });
}
