import type { ClickHouseClient } from '@clickhouse/client';

/** The embedded client, except that its raw inserts into `table` fail (a crash between a flush's inserts). */
export function failingInsertsInto(client: ClickHouseClient, table: string): ClickHouseClient {
  const real = (client as unknown as { connection: { chdb: { rawInsert: (p: { table: string }) => Promise<unknown> } } }).connection;
  const chdb = { rawInsert: (p: { table: string }) => (p.table === table ? Promise.reject(new Error('killed')) : real.chdb.rawInsert(p)) };
  const bound = (target: object, prop: string | symbol) => {
    const value: unknown = Reflect.get(target, prop, target);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  };
  const connection = new Proxy(real, { get: (target, prop) => (prop === 'chdb' ? chdb : bound(target, prop)) });
  return new Proxy(client, { get: (target, prop) => (prop === 'connection' ? connection : Reflect.get(target, prop, target)) });
}
