/**
 * Loads the built adapter-node handler (build/handler.js) so that the origin of each request
 * can be decided at run time by whoever mounts it: `meterplane start` (Koa, in cli/dashboard/)
 * and the standalone server (server.ts).
 *
 * Why: adapter-node 6 dropped its ORIGIN environment variable (the origin is now a build-time
 * option), and without it assumes https, which fails SvelteKit's CSRF check for form posts
 * over plain http. The origin decides the `Secure` flag of the session cookie too. The
 * mounting code passes the origin per request; it reaches adapter-node through two private
 * headers that are always overwritten here, so a client cannot choose them.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROTO_HEADER = 'x-meterplane-origin-proto';
const HOST_HEADER = 'x-meterplane-origin-host';

export const DEFAULT_BUILD_DIR = fileURLToPath(new URL('./build', import.meta.url));

export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, origin: string, next: () => void) => void;

type AdapterHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export function isBuilt(buildDir = DEFAULT_BUILD_DIR): boolean {
  return existsSync(join(buildDir, 'handler.js'));
}

/**
 * Imports the handler once per process. Environment variables the dashboard reads (API_URL,
 * TEMPORAL_UI_URL, TEMPORAL_NAMESPACE) must be in process.env before this is called.
 */
export async function loadHandler(buildDir = DEFAULT_BUILD_DIR): Promise<DashboardHandler> {
  process.env.PROTOCOL_HEADER = PROTO_HEADER;
  process.env.HOST_HEADER = HOST_HEADER;
  delete process.env.PORT_HEADER;
  const mod = (await import(pathToFileURL(join(buildDir, 'handler.js')).href)) as { handler: AdapterHandler };
  return (req, res, origin, next) => {
    const url = new URL(origin);
    req.headers[PROTO_HEADER] = url.protocol.slice(0, -1);
    req.headers[HOST_HEADER] = url.host;
    mod.handler(req, res, next);
  };
}

/** ORIGIN as given, reduced to scheme://host[:port]; undefined when unset; throws when invalid. */
export function originFromEnv(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`ORIGIN must be a URL such as https://billing.example.com (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('ORIGIN must start with http:// or https://');
  return url.origin;
}
