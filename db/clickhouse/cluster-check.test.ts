import { describe, expect, it } from 'vitest';
import { classify } from './cluster-check.ts';

describe('classify (what the cluster migrator checks per statement)', () => {
  it('tells created tables, added columns and row changes apart', () => {
    expect(classify('-- why\nCREATE TABLE IF NOT EXISTS usage_redeliveries\n(a String) ENGINE = MergeTree ORDER BY a')).toEqual({
      kind: 'create',
      table: 'usage_redeliveries',
      engine: 'MergeTree',
    });
    expect(classify('CREATE TABLE IF NOT EXISTS idx (k UInt128) ENGINE = Join(ANY, LEFT, k)')).toEqual({
      kind: 'create',
      table: 'idx',
      engine: 'Join',
    });
    expect(classify('ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS event_key UInt128 MATERIALIZED 1')).toEqual({
      kind: 'addColumn',
      table: 'usage_events',
      column: 'event_key',
    });
    expect(classify('INSERT INTO usage_redeliveries SELECT * FROM usage_events')).toEqual({ kind: 'data' });
    expect(classify('ALTER TABLE usage_events DELETE WHERE 1')).toEqual({ kind: 'data' });
    // Without IF NOT EXISTS a statement is not one the migrations may contain: never taken for a check.
    expect(classify('CREATE TABLE t (a String) ENGINE = Memory')).toEqual({ kind: 'data' });
  });
});
