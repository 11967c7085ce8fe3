import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freePort } from '../../test/harness/free-port.ts';
import { grantTraverse, startEmbeddedPostgres } from './embedded.ts';

// As root (containers, CI: how this suite runs here), PostgreSQL runs as the `postgres`
// user, which a private DATA_DIR (mktemp -d makes it 0700) used to lock out. As another
// user the server runs as that user, who owns the folder anyway: the test then checks that
// nothing was loosened.

const asRoot = process.getuid?.() === 0;
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('embedded PostgreSQL under a private DATA_DIR', () => {
  it('starts and answers with its data two private folders deep, granting only traverse', async () => {
    // Given DATA_DIR = a fresh mkdtemp (0700) inside another private folder, as `npm start` would get it.
    const outer = await mkdtemp(join(tmpdir(), 'meterplane-private-'));
    made.push(outer);
    const dataDir = join(outer, 'inner');
    await mkdir(dataDir, { mode: 0o700 });
    expect([await modeOf(outer), await modeOf(dataDir)]).toEqual([0o700, 0o700]);
    const notices: string[] = [];

    // When the embedded server starts on DATA_DIR/postgres…
    const server = await startEmbeddedPostgres({
      dataDir: join(dataDir, 'postgres'),
      port: await freePort(),
      onNotice: (line) => notices.push(line),
    });
    try {
      // …then it answers queries…
      const client = new pg.Client({ connectionString: server.ownerUrl });
      await client.connect();
      try {
        expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await client.end();
      }
      // …and, as root, each private folder above its data gained o+x and nothing more.
      if (asRoot) {
        expect([await modeOf(outer), await modeOf(dataDir)]).toEqual([0o701, 0o701]);
        expect(notices).toEqual(
          expect.arrayContaining([
            `made ${dataDir} traversable (o+x) for the postgres user`,
            `made ${outer} traversable (o+x) for the postgres user`,
          ]),
        );
      } else {
        expect([await modeOf(outer), await modeOf(dataDir)]).toEqual([0o700, 0o700]);
        expect(notices).toEqual([]);
      }
    } finally {
      await server.stop();
    }
  });

  it('grantTraverse adds o+x only where it is missing, up to /, and keeps the other bits', async () => {
    const top = await mkdtemp(join(tmpdir(), 'meterplane-traverse-'));
    made.push(top);
    const open = join(top, 'open');
    const closed = join(open, 'closed');
    await mkdir(open, { mode: 0o755 });
    await mkdir(closed, { mode: 0o750 });
    const changed = await grantTraverse(closed);
    expect(changed.slice(0, 2)).toEqual([closed, top]); // `open` already had it
    expect(changed).not.toContain(open);
    expect([await modeOf(top), await modeOf(open), await modeOf(closed)]).toEqual([0o701, 0o755, 0o751]);
    expect(await grantTraverse(closed)).toEqual([]); // a second call changes nothing
  });
});
