import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// deploy/k8s/ holds the chart rendered with default values. Re-render it with the pinned
// helm that deploy/validate.sh installs into ~/.cache/meterplane and compare, so a chart
// change without `bash deploy/scripts/render-k8s.sh` fails here. Nothing is installed from
// this test (MP_NO_INSTALL=1): where helm was never installed, the comparison is skipped and
// says so; validate.sh, which .ci/run calls, always installs it and compares too.

const deployDir = import.meta.dirname;
const committedDir = join(deployDir, 'k8s');
const outDir = mkdtempSync(join(tmpdir(), 'meterplane-k8s-'));
const render = spawnSync('bash', [join(deployDir, 'scripts/render-k8s.sh'), outDir], {
  env: { ...process.env, MP_NO_INSTALL: '1' },
  encoding: 'utf8',
});
const helmMissing = render.status === 3;
const skipReason = 'SKIPPED: helm is not installed in ~/.cache/meterplane (bash deploy/validate.sh installs it)';
if (helmMissing) console.warn(`deploy/k8s-manifests.test.ts: ${skipReason}`);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.skipIf(helmMissing)(`deploy/k8s is what the chart renders${helmMissing ? ` — ${skipReason}` : ''}`, () => {
  it('renders', () => {
    expect(render.stderr).not.toMatch(/Error/);
    expect(render.status).toBe(0);
  });

  const files = readdirSync(committedDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('has the same files', () => {
    expect(readdirSync(outDir).sort()).toEqual(files);
  });

  for (const file of files) {
    it(`${file} is up to date (else run: bash deploy/scripts/render-k8s.sh)`, () => {
      expect(readFileSync(join(committedDir, file), 'utf8')).toBe(readFileSync(join(outDir, file), 'utf8'));
    });
  }
});

describe('deploy/k8s content', () => {
  const docs = readdirSync(committedDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(committedDir, f), 'utf8')).map(
        (d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null,
      ),
    )
    .filter((d): d is { kind: string; metadata: { name: string } } => Boolean(d?.kind));

  it('carries no Secret: the plain manifests reference meterplane-secrets, created by hand', () => {
    expect(docs.filter((d) => d.kind === 'Secret')).toEqual([]);
    expect(readFileSync(join(committedDir, '02-meterplane.yaml'), 'utf8')).toContain('name: meterplane-secrets');
  });

  it('has the api, worker and dashboard Deployments and the migrate Job', () => {
    const names = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/meterplane-api',
        'Deployment/meterplane-worker',
        'Deployment/meterplane-dashboard',
        'Job/meterplane-migrate',
      ]),
    );
  });
});
