import { describe, it, expect } from 'vitest';
import { loadConfig, ConfigError } from './load-config.ts';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(4000);
    expect(c.EMBEDDED_PG_PORT).toBe(54329);
    expect(c.TEMPORAL_UI_PORT).toBe(8233);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['DATABASE_URL', 'not-a-url'],
    ['PORT', 'abc'],
    ['LOG_LEVEL', 'loud'],
    ['TEMPORAL_ADDRESS', 'no port'],
    ['JWT_TTL_SECONDS', '-5'],
    ['TRUST_PROXY', '-1'],
    ['TRUST_PROXY', '1.5'],
    ['TRUST_PROXY', '11'],
    ['TRUST_PROXY', 'true'],
  ])('names %s when its value %j is wrong', (variable, value) => {
    const call = () => loadConfig({ [variable]: value });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(new RegExp(`^${variable} is invalid`));
  });

  it('trusts no proxy unless told how many hops, up to 10', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '' }).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '10' }).TRUST_PROXY).toBe(10);
  });

  it('refuses CLICKHOUSE_CLUSTER without CLICKHOUSE_URL, and takes it with one', () => {
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'meterplane' })).toThrow(/^CLICKHOUSE_CLUSTER .*needs CLICKHOUSE_URL/);
    expect(loadConfig({ CLICKHOUSE_CLUSTER: 'meterplane', CLICKHOUSE_URL: 'http://ch-0:8123' }).CLICKHOUSE_CLUSTER).toBe('meterplane');
    expect(loadConfig({}).CLICKHOUSE_CLUSTER).toBeUndefined();
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: "x', system.tables) --", CLICKHOUSE_URL: 'http://ch-0:8123' })).toThrow(
      /^CLICKHOUSE_CLUSTER .*cluster name/,
    );
  });

  it('refuses production without JWT_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/^JWT_SECRET .*production/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toHaveLength(32);
  });
});
