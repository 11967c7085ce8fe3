import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from './import-cycles.ts';

const repo = join(import.meta.dirname, '../..');

describe('import cycles', () => {
  it('api/ has none', () => {
    expect(importCycles(join(repo, 'api'))).toEqual([]);
  });

  it('finds a deliberate cycle, through a type-only import, and only its members', () => {
    expect(importCycles(join(import.meta.dirname, 'fixtures/cycle'))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('reads real imports, not one written in a comment', () => {
    const graph = importGraph(join(import.meta.dirname, 'fixtures/cycle'));
    const b = [...graph].find(([file]) => file.endsWith('b.ts'))!;
    expect(b[1].map((f) => f.slice(-4))).toEqual(['c.ts']);
  });
});
