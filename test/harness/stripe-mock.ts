import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** The stripe-mock release the tests run against (installed by .ci/run with go install). */
export const STRIPE_MOCK_VERSION = 'v0.203.0';

export type RecordedStripeRequest = { method: string; path: string; idempotencyKey: string | null; body: string };

export type StripeMock = {
  /** The API base the SDK is pointed at: a recording proxy in front of stripe-mock. */
  apiBase: string;
  /** Every request the SDK sent, in order (the proxy's record). */
  requests: RecordedStripeRequest[];
  stop: () => Promise<void>;
};

function goPath(): string {
  try {
    return execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
  } catch {
    return join(homedir(), 'go');
  }
}

/**
 * Starts stripe-mock, the official Stripe API mock, on a free port, behind a small recording
 * proxy (stripe-mock keeps no state, so the proxy is how a test sees what the SDK sent: paths,
 * bodies and Idempotency-Key headers). stripe-mock answers every request with its fixture object
 * (the request's parameters reflected into it), so a PaymentIntent's status is always the
 * fixture's, `requires_payment_method`, which the gateway reads as a decline.
 * `paymentIntentStatus` starts it with the fixtures changed to another status (requires_action:
 * a charge answered pending), from the fixtures file of the installed release.
 */
export async function startStripeMock(opts: { paymentIntentStatus?: string } = {}): Promise<StripeMock> {
  const gopath = goPath();
  const binary = process.env.STRIPE_MOCK_BIN ?? join(gopath, 'bin', 'stripe-mock');
  if (!existsSync(binary))
    throw new Error(`stripe-mock not found at ${binary}: go install github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION} (.ci/run does)`);
  const port = await freePort();
  const args = ['-http-port', String(port)];
  let fixturesDir: string | undefined;
  if (opts.paymentIntentStatus) {
    const bundled = join(
      gopath,
      'pkg',
      'mod',
      'github.com',
      'stripe',
      `stripe-mock@${STRIPE_MOCK_VERSION}`,
      'embedded',
      'openapi',
      'fixtures3.json',
    );
    const fixtures = JSON.parse(readFileSync(bundled, 'utf8')) as { resources: Record<string, Record<string, unknown>> };
    fixtures.resources.payment_intent!.status = opts.paymentIntentStatus;
    fixturesDir = mkdtempSync(join(tmpdir(), 'stripe-mock-'));
    writeFileSync(join(fixturesDir, 'fixtures.json'), JSON.stringify(fixtures));
    args.push('-fixtures', join(fixturesDir, 'fixtures.json'));
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitUntilUp(port, child, () => stderr);

  const requests: RecordedStripeRequest[] = [];
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = req.headers['idempotency-key'];
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        idempotencyKey: typeof key === 'string' ? key : null,
        body: body.toString(),
      });
      const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (err) => res.writeHead(502).end(String(err)));
      upstream.end(body);
    });
  });
  const proxyPort = await freePort();
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));

  return {
    apiBase: `http://127.0.0.1:${proxyPort}`,
    requests,
    async stop() {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (fixturesDir) rmSync(fixturesDir, { recursive: true, force: true });
    },
  };
}

async function waitUntilUp(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 150; i += 1) {
    if (child.exitCode !== null) throw new Error(`stripe-mock exited (${child.exitCode}): ${stderr()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/customers`, { headers: { Authorization: 'Bearer sk_test_mock' } });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`stripe-mock did not start on port ${port}: ${stderr()}`);
}
