import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';
import { ROLES } from '../http/route.ts';

export const emailSchema = z.email('must be an email address').max(254).transform((e) => e.toLowerCase());
export const passwordSchema = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(200);
export const roleSchema = z.enum(ROLES);

export const userSchema = z
  .object({ id: z.uuid(), email: z.string(), role: roleSchema, tenantId: z.uuid().nullable() })
  .meta({ id: 'User' });

export const sessionSchema = z.object({ token: z.string(), user: userSchema }).meta({ id: 'Session' });

export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().min(1).max(200).optional(),
  tenantName: z.string().min(1).max(200),
});

// Not validated as an address (a typo is just a wrong email, 401), but it becomes a
// throttle key in PostgreSQL, whose text cannot hold NUL.
export const loginBody = z.strictObject({ email: z.string().max(254).regex(/^\P{Cc}*$/u, 'must not contain control characters'), password: z.string().max(200) });
