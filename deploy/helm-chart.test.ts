import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The chart README's value tables must list every key of values.yaml, with its default, and
// nothing else. A key is a leaf: a scalar, a list, or an empty map; non-empty maps are walked.

const chartDir = join(import.meta.dirname, 'helm/meterplane');
const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');

function leaves(node: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [p, v] of leaves(value as Record<string, unknown>, path)) out.set(p, v);
    } else {
      out.set(path, value);
    }
  }
  return out;
}

/** Rows of the README's value tables: | `key` | `default as JSON` | description | */
function documented(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const m = /^\| `([^`]+)` \| `(.*?)` \| .+ \|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('deploy/helm/meterplane/README.md', () => {
  const keys = leaves(values);
  const rows = documented();

  it('finds the values and the table', () => {
    expect(keys.size).toBeGreaterThan(50);
    expect(rows.size).toBeGreaterThan(50);
  });

  it('lists every key of values.yaml', () => {
    expect([...keys.keys()].filter((k) => !rows.has(k))).toEqual([]);
  });

  it('lists no key that values.yaml lacks', () => {
    expect([...rows.keys()].filter((k) => !keys.has(k))).toEqual([]);
  });

  it("shows each key's default as it is in values.yaml", () => {
    const wrong = [...keys]
      .filter(([k, v]) => rows.has(k) && rows.get(k) !== JSON.stringify(v))
      .map(([k, v]) => `${k}: README ${rows.get(k)}, values ${JSON.stringify(v)}`);
    expect(wrong).toEqual([]);
  });
});

describe('chart metadata', () => {
  it('declares the minimum Kubernetes version validate.sh checks against', () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { kubeVersion: string };
    const tools = readFileSync(join(import.meta.dirname, 'scripts/tools.sh'), 'utf8');
    const versions = /^K8S_VERSIONS=\(([^)]*)\)/m.exec(tools)![1]!.trim().split(/\s+/);
    expect(chart.kubeVersion).toBe(`>=${versions[0]}-0`);
  });
});
