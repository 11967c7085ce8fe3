import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { CLUSTER_SETTINGS } from './cluster-settings.ts';

/**
 * `cluster`: the cluster of deploy/clickhouse/cluster.sql (CLICKHOUSE_CLUSTER), when the
 * tables the app uses are Distributed tables over per-shard local tables.
 */
export type ClickHouseTarget =
  | { kind: 'server'; url: string; username: string; password: string; database: string; cluster?: string }
  | { kind: 'embedded'; path: string; cluster?: string };

/**
 * Settings every query runs with: 64-bit integers and decimals arrive as JSON strings,
 * so counts and amounts never pass through a float on the way out of ClickHouse.
 */
const EXACT_JSON_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 1,
  date_time_input_format: 'best_effort',
} as const;

/** The session defaults of a connection to `target`. */
export function sessionSettings(target: ClickHouseTarget): ClickHouseSettings {
  return {
    ...EXACT_JSON_SETTINGS,
    // A server could otherwise buffer an insert and acknowledge it before it is stored.
    ...(target.kind === 'server' ? { async_insert: 0 } : {}),
    ...(target.cluster ? CLUSTER_SETTINGS : {}),
  };
}

export type ClickHouse = { client: ClickHouseClient; target: ClickHouseTarget; close: () => Promise<void> };

export async function connectClickHouse(target: ClickHouseTarget): Promise<ClickHouse> {
  const clickhouse_settings = sessionSettings(target);
  if (target.kind === 'server') {
    const client = createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      database: target.database,
      clickhouse_settings,
      request_timeout: 60_000,
    });
    return { client, target, close: () => client.close() };
  }
  const { createChdbConnection } = await import('chdb/connection').catch(() => {
    throw new Error(
      'the embedded ClickHouse engine is not installed (optional dependency `chdb`); set CLICKHOUSE_URL or run `npm ci` with optional dependencies',
    );
  });
  const client = createClient({
    // chdb implements @clickhouse/client's Connection interface; the cast bridges the
    // two copies of the interface's type declarations.
    connection: createChdbConnection({ path: target.path }) as never,
    clickhouse_settings,
  });
  return { client, target, close: () => client.close() };
}
