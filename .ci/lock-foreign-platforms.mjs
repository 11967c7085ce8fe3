// chdb lists native libraries for every platform as optional dependencies, but the package
// registry these machines reach serves only the linux-x64 one. npm then leaves the others
// out of package-lock.json, and `npm ci` calls the lockfile out of sync. Recording them as
// optional, platform-restricted entries lets `npm ci` skip them without fetching, as it does
// on any platform they do not match. Run after any `npm install`: node .ci/lock-foreign-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
const platforms = {
  '@chdb/lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@chdb/lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@chdb/lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
};
let added = 0;
for (const [name, platform] of Object.entries(platforms)) {
  const key = `node_modules/${name}`;
  const version = chdb?.optionalDependencies?.[name];
  if (!version || lock.packages[key]) continue;
  lock.packages[key] = { version, ...platform, license: 'Apache-2.0', optional: true };
  added += 1;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added ? `recorded ${added} foreign-platform chdb libraries in package-lock.json` : 'package-lock.json already records them');
