import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'mp_live_';
export const API_KEY_DISPLAY_LENGTH = 12;

/** A new key: recognisable prefix + 256 random bits. Shown once; only its hash is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: Buffer } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, API_KEY_DISPLAY_LENGTH), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);
