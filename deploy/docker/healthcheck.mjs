// Container health probe: `node healthcheck.mjs [path]` asks http://127.0.0.1:$PORT<path>
// and exits 0 on a 2xx or 3xx answer within 4 s, else 1. Plain JavaScript with no imports,
// so it runs in every Meterplane image (the images carry neither curl nor wget).
const path = process.argv[2] ?? '/health';
const port = process.env.PORT ?? '4000';

try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(4000),
  });
  process.exit(res.status >= 200 && res.status < 400 ? 0 : 1);
} catch {
  process.exit(1);
}
