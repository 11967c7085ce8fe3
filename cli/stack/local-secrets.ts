import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type LocalSecrets = { jwtSecret: string; appRolePassword: string };

/**
 * Secrets the all-in-one stack invents on first run and keeps under DATA_DIR (mode 0600),
 * so sessions and the app role survive a restart. Production passes them in config.
 */
export async function loadOrCreateLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = join(dataDir, 'secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalSecrets;
  } catch {
    const secrets = { jwtSecret: randomBytes(32).toString('base64url'), appRolePassword: randomBytes(18).toString('base64url') };
    await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
    return secrets;
  }
}
