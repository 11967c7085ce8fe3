import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { usersRepository, type UserRow } from '../../db/postgres/users-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { conflict, HttpProblem, notFound } from '../http/problem.ts';
import type { Principal } from '../http/route.ts';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './passwords.ts';
import { signSessionToken, type AuthConfig } from './tokens.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { SignupThrottle } from './signup-throttle.ts';

export type PublicUser = { id: string; email: string; role: UserRow['role']; tenantId: string | null };
export const publicUser = (u: UserRow): PublicUser => ({ id: u.id, email: u.email, role: u.role, tenantId: u.tenant_id });

const WRONG_CREDENTIALS = 'email or password is wrong';

export function createAuthService(deps: { pg: DatabasePool; auth: AuthConfig; logins: LoginThrottle; signups: SignupThrottle }) {
  const session = (u: UserRow) => ({
    token: signSessionToken(deps.auth, { id: u.id, email: u.email, role: u.role, tenantId: u.tenant_id, tokenVersion: u.token_version }),
    user: publicUser(u),
  });

  return {
    /** Self-service sign-up: a new tenant and its first (customer) user, in one transaction. */
    async register(input: { email: string; password: string; name?: string; tenantName: string }, ip: string) {
      // Counted before the (deliberately slow) hash, so a flood of sign-ups costs no CPU.
      await deps.signups.admit(ip);
      const passwordHash = await hashPassword(input.password);
      const user = await withOperator(deps.pg, async (tx) => {
        // Without an externalId the new tenant has nothing another could hold already.
        const tenant = await tenantsRepository.insert(tx, { name: input.tenantName, email: input.email });
        const created = await usersRepository.create(tx, {
          email: input.email,
          name: input.name,
          passwordHash,
          role: 'customer',
          tenantId: tenant.id,
        });
        if (created === 'taken') throw conflict('email', 'is already registered');
        if (created === 'missing') throw new Error('the tenant created in this transaction is missing');
        return created;
      });
      return session(user);
    },

    /**
     * Same answer and similar time for an unknown email, a wrong password and a deactivated
     * user (whose password is checked all the same): a guesser learns nothing about which
     * accounts exist or are switched off. Each of the three counts as a failure.
     */
    async login(input: { email: string; password: string }, ip: string) {
      const email = input.email.trim().toLowerCase();
      const attempt = await deps.logins.begin(email, ip);
      const user = await withOperator(deps.pg, (tx) => usersRepository.findByEmailWithHash(tx, email));
      const ok = await verifyPassword(input.password, user?.password_hash ?? (await DUMMY_HASH_PROMISE));
      if (!user || !ok || user.deactivated_at !== null) throw new HttpProblem(401, WRONG_CREDENTIALS);
      await deps.logins.succeeded(attempt, email);
      return session(user);
    },

    /** The signed-in user; an API key is no user (404). */
    async me(principal: Principal): Promise<PublicUser> {
      if (principal.kind !== 'user') throw notFound('user');
      const user = await withOperator(deps.pg, (tx) => usersRepository.findById(tx, principal.userId));
      if (!user) throw notFound('user');
      return publicUser(user);
    },
  };
}
