import pg from 'pg';

export const APP_ROLE = 'meterplane_app';

/**
 * Lets the app role log in with `password`. Only the all-in-one stack and the test
 * harness call this; in production the operator manages the role's credentials.
 */
export async function enableAppRoleLogin(ownerUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${APP_ROLE} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

/** Builds the app URL from the owner URL: same host and database, the app role's credentials. */
export function appRoleUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}
