import { createPool, createTypeParserPreset, type DatabasePool, type DriverTypeParser } from 'slonik';

/**
 * Exact parsers: numeric stays a decimal string and int8 becomes a bigint, so no
 * amount or counter ever passes through a float. timestamptz becomes a Date.
 */
const exactTypeParsers: readonly DriverTypeParser[] = [
  ...createTypeParserPreset().filter((p) => !['numeric', 'int8', 'timestamptz', 'timestamp'].includes(p.name)),
  { name: 'numeric', parse: (value: string) => value },
  { name: 'int8', parse: (value: string) => BigInt(value) },
  { name: 'timestamptz', parse: (value: string) => new Date(value) },
];

export type PgPoolOptions = { maxPoolSize?: number; statementTimeoutMs?: number };

export async function createPgPool(url: string, options: PgPoolOptions = {}): Promise<DatabasePool> {
  return createPool(url, {
    typeParsers: exactTypeParsers,
    maxPoolSize: options.maxPoolSize ?? 10,
    statementTimeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeout: 5_000,
    // Transactions that fail on serialization are retried by the caller who knows
    // whether the work is idempotent; slonik's silent retries would hide that.
    transactionRetryLimit: 0,
    queryRetryLimit: 0,
  });
}

export type { DatabasePool };
