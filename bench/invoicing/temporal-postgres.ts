// The production shape of Temporal for the invoicing benchmark: the Temporal server binary
// (go.temporal.io/server, the version of the pinned CLI) on its own embedded PostgreSQL, schema
// set up by temporal-sql-tool of the same version, loopback only, on free ports. Nothing is
// installed here: without the binaries or the schema files this says what is missing and the
// bench skips this shape (bench/README.md says how to build them).
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { accessSync, constants, existsSync } from 'node:fs';
import { writeFile, mkdir, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { startEmbeddedPostgres } from '../../db/postgres/embedded.ts';
import { SEARCH_ATTRIBUTES } from '../../cli/temporal/dev-server.ts';
import { freePort } from '../../test/harness/global-setup.ts';

export const TEMPORAL_SERVER_VERSION = 'v1.32.0';
const HISTORY_SHARDS = 4;
const run = promisify(execFile);
/** IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD of the Temporal API (its proto package is not a dependency of ours). */
const KEYWORD = 2;

export type TemporalBinaries = { server: string; sqlTool: string; schemaDir: string };

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * TEMPORAL_SERVER_BIN / TEMPORAL_SQL_TOOL_BIN, else `server` and `sql` in $GOBIN or
 * $GOPATH/bin (~/go/bin), as `go install` names them; the schema from the Go module cache
 * (TEMPORAL_SCHEMA_DIR overrides). A string says what is missing.
 */
export function findTemporalBinaries(): TemporalBinaries | string {
  const gopath = process.env.GOPATH ?? join(homedir(), 'go');
  const bin = process.env.GOBIN ?? join(gopath, 'bin');
  const server = process.env.TEMPORAL_SERVER_BIN ?? join(bin, 'server');
  const sqlTool = process.env.TEMPORAL_SQL_TOOL_BIN ?? join(bin, 'sql');
  const modCache = process.env.GOMODCACHE ?? join(gopath, 'pkg', 'mod');
  const schemaDir =
    process.env.TEMPORAL_SCHEMA_DIR ?? join(modCache, `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`, 'schema/postgresql/v12');
  const missing = [
    !executable(server) && `the Temporal server (${server})`,
    !executable(sqlTool) && `temporal-sql-tool (${sqlTool})`,
    !existsSync(join(schemaDir, 'temporal/versioned')) && `its PostgreSQL schema (${schemaDir})`,
  ].filter(Boolean);
  if (missing.length === 0) return { server, sqlTool, schemaDir };
  return `missing ${missing.join(', ')}. Build them with \`go install go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION} go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}\` (see bench/README.md), or point TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL_BIN and TEMPORAL_SCHEMA_DIR at them`;
}

function configYaml(o: { pgPort: number; user: string; password: string; ports: number[] }): string {
  const [frontend, frontendHttp, history, matching, worker, ...membership] = o.ports;
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "127.0.0.1:${o.pgPort}"
        connectProtocol: tcp
        user: ${o.user}
        password: "${o.password}"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, member: number, extra = '') => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${member}
      bindOnLocalHost: true${extra}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${service(frontend!, membership[0]!, `\n      httpPort: ${frontendHttp}`)}
  history:${service(history!, membership[1]!)}
  matching:${service(matching!, membership[2]!)}
  worker:${service(worker!, membership[3]!)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${frontend}"
dcRedirectionPolicy:
  policy: noop
`;
}

export type PostgresTemporal = { address: string; pid?: number; setup: string; stop: () => Promise<void> };

/** Starts PostgreSQL, sets up both schemas, starts the server, registers `default` and the search attributes. */
export async function startTemporalOnPostgres(
  bins: TemporalBinaries,
  work: string,
  log: (line: string) => void,
): Promise<PostgresTemporal> {
  const pgPort = await freePort();
  const pg = await startEmbeddedPostgres({ dataDir: join(work, 'temporal-pg'), port: pgPort });
  const owner = new URL(pg.ownerUrl);
  const user = decodeURIComponent(owner.username);
  const password = decodeURIComponent(owner.password);
  const sqlTool = (db: string, ...args: string[]) =>
    run(
      bins.sqlTool,
      ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', user, '--pw', password, '--db', db, ...args],
      { timeout: 120_000 },
    );
  const schemaStarted = performance.now();
  for (const [db, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    await sqlTool(db, 'create-database');
    await sqlTool(db, 'setup-schema', '-v', '0.0');
    await sqlTool(db, 'update-schema', '-d', join(bins.schemaDir, dir, 'versioned'));
  }
  log(`temporal-sql-tool set up both schemas in ${Math.round(performance.now() - schemaStarted)} ms`);

  // The server stores membership ports as smallint: all of them below 32768 (the kernel's
  // ephemeral range, which freePort draws from, starts there).
  const ports: number[] = [];
  for (let tries = 0; ports.length < 9; tries += 1) {
    if (tries > 500) throw new Error('no free loopback ports below 32768');
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.includes(p) && (await listenable(p))) ports.push(p);
  }
  await mkdir(join(work, 'temporal-server'), { recursive: true });
  const configFile = join(work, 'temporal-server', 'config.yaml');
  await writeFile(configFile, configYaml({ pgPort, user, password, ports }));
  const out = await open(join(work, 'temporal-server', 'server.log'), 'w');
  const child = spawn(bins.server, ['--config-file', configFile, '--allow-no-auth', 'start'], { stdio: ['ignore', out.fd, out.fd] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${ports[0]}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await out.close();
    await pg.stop();
  };

  try {
    const connection = await waitForFrontend(address, () => child.exitCode !== null, 90_000);
    await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('1 day') });
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a, KEYWORD])),
    });
    // The frontend learns of a new namespace and its search attributes from a cache refreshed
    // every 10 s: wait until a listing that filters on them is answered, at most 60 s.
    for (const deadline = Date.now() + 60_000; ;) {
      try {
        await connection.workflowService.listWorkflowExecutions({
          namespace: 'default',
          pageSize: 1,
          query: SEARCH_ATTRIBUTES.map((a) => `${a} = 'x'`).join(' AND '),
        });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await connection.close();
  } catch (err) {
    await stop();
    throw new Error(`the Temporal server on PostgreSQL did not come up (log: ${join(work, 'temporal-server', 'server.log')})`, {
      cause: err,
    });
  }
  return {
    address,
    pid: child.pid,
    setup: `the Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (embedded, its own instance; ${HISTORY_SHARDS} history shards; schema by temporal-sql-tool)`,
    stop,
  };
}

async function waitForFrontend(address: string, died: () => boolean, withinMs: number): Promise<Connection> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (died()) throw new Error('the Temporal server exited');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
