import { describe, expect, it } from 'vitest';
import { sessionSettings } from './client.ts';
import { CLUSTER_SETTINGS } from './cluster-settings.ts';

const server = { kind: 'server', url: 'http://ch:8123', username: 'u', password: 'p', database: 'd' } as const;

describe('sessionSettings', () => {
  it('sends no cluster setting to a single server or the embedded engine', () => {
    for (const target of [server, { kind: 'embedded', path: '/x' } as const]) {
      for (const name of Object.keys(CLUSTER_SETTINGS)) expect(sessionSettings(target)).not.toHaveProperty(name);
    }
    expect(sessionSettings(server)).toMatchObject({
      async_insert: 0,
      output_format_json_quote_64bit_integers: 1,
      output_format_json_quote_decimals: 1,
    });
  });

  it('with a cluster: local subqueries, shard skipping, inserts stored on a majority of the shard, exact JSON kept', () => {
    expect(sessionSettings({ ...server, cluster: 'meterplane' })).toEqual({
      output_format_json_quote_64bit_integers: 1,
      output_format_json_quote_decimals: 1,
      date_time_input_format: 'best_effort',
      async_insert: 0,
      distributed_product_mode: 'local',
      optimize_skip_unused_shards: 1,
      distributed_foreground_insert: 1,
      insert_quorum: 'auto',
      insert_quorum_parallel: 0,
    });
  });

  it('treats an empty cluster name as none (CLICKHOUSE_CLUSTER unset)', () => {
    expect(sessionSettings({ ...server, cluster: '' })).not.toHaveProperty('distributed_product_mode');
  });
});
