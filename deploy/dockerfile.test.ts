import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// deploy/Dockerfile: what the images must carry and how they run. hadolint (validate.sh)
// checks style; these check what only this project knows.

const root = join(import.meta.dirname, '..');
const dockerfile = readFileSync(join(import.meta.dirname, 'Dockerfile'), 'utf8');

/** Instructions per stage name, continuation lines joined, comments dropped. */
function stages(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const text = line.trim();
    if (!text || text.startsWith('#')) continue;
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(text);
    if (from) out.set(from[1]!, (current = []));
    current.push(text.replace(/\s+/g, ' '));
  }
  return out;
}

const byStage = stages();
const stage = (name: string) => {
  const s = byStage.get(name);
  if (!s) throw new Error(`deploy/Dockerfile has no stage ${name}`);
  return s;
};

// Top-level folders that are not part of the app image, and why.
const NOT_IN_APP_IMAGE = new Set([
  'dashboard', // its own image (target dashboard)
  'deploy', // only deploy/docker/healthcheck.mjs, copied on its own
  'test', // tests
  'bench', // benchmarks
  'docs', // screenshots for the README
  'packages', // client packages for the API's users (@meterplane/ingest-client); the server imports none
  'node_modules', // installed inside the build
  'coverage',
  'test-results',
]);

describe('deploy/Dockerfile', () => {
  it('copies every top-level code folder into the app image (or lists it above as excluded)', () => {
    const folders = readdirSync(root).filter(
      (f) => !f.startsWith('.') && !NOT_IN_APP_IMAGE.has(f) && statSync(join(root, f)).isDirectory(),
    );
    const copies = stage('app').filter((i) => i.startsWith('COPY ') && !i.includes('--from='));
    expect(folders.length).toBeGreaterThan(0);
    for (const folder of folders) expect(copies, `COPY ${folder} ./${folder} in the app stage`).toContain(`COPY ${folder} ./${folder}`);
  });

  it('bundles the workflows from the same folders the app image carries', () => {
    const app = stage('app').filter((i) => /^COPY [a-z]+ \.\/[a-z]+$/.test(i));
    const bundle = stage('workflow-bundle').filter((i) => /^COPY [a-z]+ \.\/[a-z]+$/.test(i));
    expect(bundle).toEqual(app);
    expect(stage('workflow-bundle').join('\n')).toContain('node cli/bundle-workflows.ts dist/workflow-bundle.js');
    expect(stage('app')).toContain('COPY --from=workflow-bundle /app/dist/workflow-bundle.js ./dist/workflow-bundle.js');
    expect(stage('app').join('\n')).toContain('WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js');
  });

  it('installs production dependencies only, without the optional embedded engines', () => {
    const ci = stage('prod-deps').find((i) => i.startsWith('RUN npm ci'));
    expect(ci).toMatch(/--omit=dev/);
    expect(ci).toMatch(/--omit=optional/);
    expect(ci).toMatch(/--workspaces=false/);
    expect(stage('app')).toContain('COPY --from=prod-deps /app/node_modules ./node_modules');
  });

  it.each(['app', 'dashboard'])('%s runs as a numeric non-root user with a HEALTHCHECK', (name) => {
    const s = stage(name);
    expect(s.filter((i) => i.startsWith('USER ')).at(-1)).toMatch(/^USER [1-9]\d*(:\d+)?$/);
    expect(s.some((i) => i.startsWith('HEALTHCHECK '))).toBe(true);
  });

  it('the app image runs a role by argument, the API by default', () => {
    expect(stage('app')).toContain('ENTRYPOINT ["node", "cli/meterplane.ts"]');
    expect(stage('app')).toContain('CMD ["api"]');
    expect(stage('app')).toContain('EXPOSE 4000');
  });
});
