import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';
import { ROLES } from '../http/route.ts';

// RFC 5321 limits that zod's email pattern leaves out: 64 characters before the @, 63 per
// domain label, no label ending in "-". The document's `format: email` holds clients to them too.
const withinMailLimits = (address: string) => {
  const at = address.lastIndexOf('@');
  return (
    at <= 64 &&
    address
      .slice(at + 1)
      .split('.')
      .every((label) => label.length <= 63 && !label.endsWith('-'))
  );
};

/** An email address as sent: at most 254 characters, within the limits mail servers keep. */
export const emailAddress = z
  .email('must be an email address')
  .max(254)
  .refine(withinMailLimits, 'must be an email address (at most 64 characters before the @ and 63 per domain label)');

/** An email address as it identifies a user: lower-cased. */
export const emailSchema = emailAddress.transform((e) => e.toLowerCase());
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
// throttle key in PostgreSQL, whose text cannot hold NUL. The range is spelled out
// rather than as \p{Cc} because the fuzz step's generator (Python re) cannot read
// Unicode property classes.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const noControlCharacters = /^[^\u0000-\u001f\u007f-\u009f]*$/;
export const loginBody = z.strictObject({
  email: z.string().max(254).regex(noControlCharacters, 'must not contain control characters'),
  password: z.string().max(200),
});
