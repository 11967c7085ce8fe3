/**
 * The dashboard on its own (the container image): `node server.ts` in this folder, after
 * `npm run build`. It is adapter-node's `node build` plus run-time ORIGIN support.
 *
 * Environment: HOST (default 0.0.0.0), PORT (default 3000), ORIGIN (the public URL browsers
 * use, e.g. https://billing.example.com; without it the origin is http://<Host header>),
 * API_URL (the API as this server reaches it), TEMPORAL_UI_URL, TEMPORAL_NAMESPACE.
 */
import { createServer } from 'node:http';
import { loadHandler, originFromEnv } from './serve.ts';

let origin: string | undefined;
try {
  origin = originFromEnv(process.env.ORIGIN);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
const host = process.env.HOST || '0.0.0.0';
const port = Number(process.env.PORT || 3000);
const handle = await loadHandler();

const server = createServer((req, res) => {
  handle(req, res, origin ?? `http://${req.headers.host ?? `127.0.0.1:${port}`}`, () => {
    res.statusCode = 404;
    res.end('Not found');
  });
});
server.listen(port, host, () =>
  process.stdout.write(`dashboard listening on http://${host}:${port} (origin ${origin ?? 'from the Host header'})\n`),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
