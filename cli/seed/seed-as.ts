import { seedDemo } from './seed-demo.ts';

/** Signs in as an admin over HTTP, then seeds the demo through the API. */
export async function seedDemoAs(baseUrl: string, admin: { email: string; password: string }, log: (line: string) => void): Promise<void> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: admin.email, password: admin.password }),
  });
  if (!res.ok) throw new Error(`seed: could not sign in as ${admin.email} (${res.status})`);
  const { token } = (await res.json()) as { token: string };
  await seedDemo({ baseUrl, adminToken: token, log });
  log('demo data seeded');
}
