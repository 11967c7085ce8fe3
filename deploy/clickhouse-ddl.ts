// A small reader for the ClickHouse DDL we write ourselves (db/clickhouse/migrations and
// deploy/clickhouse/cluster.sql): enough of CREATE TABLE to compare two files' columns and
// keys. It understands comments, quotes and nested parentheses; anything that is not a
// CREATE TABLE comes back as kind 'other' so callers can refuse what they cannot compare.

export type TableDdl = {
  kind: 'table';
  name: string;
  onCluster: string | undefined;
  /** Column definitions, whitespace-normalised: "tenant_id String", "ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)". */
  columns: string[];
  /** INDEX / PROJECTION / CONSTRAINT lines inside the parentheses. */
  otherDefinitions: string[];
  engine: { name: string; args: string[] };
  /** Clauses after ENGINE, keyed by keyword: 'PARTITION BY', 'ORDER BY', 'PRIMARY KEY', 'SAMPLE BY', 'TTL', 'SETTINGS'. */
  clauses: Record<string, string>;
};

export type OtherDdl = { kind: 'other'; text: string };

/** INSERT … or ALTER TABLE … DELETE/UPDATE/MATERIALIZE COLUMN: a statement that moves rows, not schema. */
export type DataDdl = { kind: 'data'; text: string };

function parseData(stmt: string): DataDdl | undefined {
  const text = normalize(stmt);
  return /^(INSERT\s+INTO\s|ALTER\s+TABLE\s+[\w.`]+(\s+ON\s+CLUSTER\s+\S+)?\s+(DELETE|UPDATE|MATERIALIZE\s+COLUMN)\s)/i.test(text)
    ? { kind: 'data', text }
    : undefined;
}

/** ALTER TABLE t [ON CLUSTER c] ADD COLUMN [IF NOT EXISTS] <definition>. */
export type AddColumnDdl = { kind: 'addColumn'; table: string; column: string };

function parseAddColumn(stmt: string): AddColumnDdl | undefined {
  const m = /^ALTER\s+TABLE\s+([\w.`]+)(?:\s+ON\s+CLUSTER\s+('[^']*'|[\w{}]+))?\s+ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?([\s\S]+)$/i.exec(
    stmt.trim(),
  );
  return m ? { kind: 'addColumn', table: m[1]!.replace(/`/g, ''), column: normalize(m[3]!) } : undefined;
}

/** The tables as the statements leave them: added columns appended in order. */
export function applyAddColumns(statements: readonly (TableDdl | OtherDdl | AddColumnDdl | DataDdl)[]): TableDdl[] {
  const tables = new Map<string, TableDdl>();
  for (const s of statements) {
    if (s.kind === 'table') tables.set(s.name, { ...s, columns: [...s.columns] });
    if (s.kind === 'addColumn') {
      const t = tables.get(s.table);
      if (!t) throw new Error(`ADD COLUMN to ${s.table}, which no earlier statement creates`);
      t.columns.push(s.column);
    }
  }
  return [...tables.values()];
}

/** Removes -- and /* *\/ comments outside string literals. */
export function stripComments(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(sql, i);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && sql[i + 1] === '*') {
      i = sql.indexOf('*/', i + 2);
      if (i < 0) throw new Error('unterminated /* comment');
      i += 1;
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

function closingQuote(sql: string, start: number): number {
  const q = sql[start];
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === '\\') i++;
    else if (sql[i] === q) return i;
  }
  throw new Error(`unterminated ${q} quote`);
}

/** Splits on `sep` where it is outside quotes and parentheses. */
export function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') i = closingQuote(text, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Collapses whitespace outside quotes and drops it inside brackets: "DateTime64( 3,'UTC' )" -> "DateTime64(3, 'UTC')". */
export function normalize(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(text, i);
      out += text.slice(i, end + 1);
      i = end;
    } else if (/\s/.test(c)) {
      if (!out.endsWith(' ')) out += ' ';
    } else {
      out += c;
    }
  }
  return out
    .trim()
    .replace(/\(\s+/g, '(')
    .replace(/\s+\)/g, ')')
    .replace(/\s*,\s*/g, ', ');
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') i = closingQuote(text, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error('unbalanced parentheses');
}

const CLAUSES = ['PARTITION BY', 'ORDER BY', 'PRIMARY KEY', 'SAMPLE BY', 'TTL', 'SETTINGS'];

function parseTable(stmt: string): TableDdl | undefined {
  const head = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.`]+)(?:\s+ON\s+CLUSTER\s+('[^']*'|[\w{}]+))?\s*\(/i.exec(stmt);
  if (!head) return undefined;
  const open = head[0].length - 1;
  const close = matchingParen(stmt, open);
  const columns: string[] = [];
  const otherDefinitions: string[] = [];
  for (const def of splitTopLevel(stmt.slice(open + 1, close), ',')) {
    (/^(INDEX|PROJECTION|CONSTRAINT)\s/i.test(def) ? otherDefinitions : columns).push(normalize(def));
  }
  const rest = normalize(stmt.slice(close + 1));
  const engine = /^ENGINE\s*=\s*(\w+)\s*/i.exec(rest);
  if (!engine) throw new Error(`CREATE TABLE ${head[1]} has no ENGINE`);
  let tail = rest.slice(engine[0].length);
  let args: string[] = [];
  if (tail.startsWith('(')) {
    const end = matchingParen(tail, 0);
    args = splitTopLevel(tail.slice(1, end), ',').map(normalize);
    tail = tail.slice(end + 1).trim();
  }
  const clauses: Record<string, string> = {};
  const keyword = new RegExp(`(?:^|\\s)(${CLAUSES.map((c) => c.replace(' ', '\\s+')).join('|')})\\s`, 'gi');
  const found = [...tail.matchAll(keyword)].map((m) => ({ key: normalize(m[1]!).toUpperCase(), at: m.index!, len: m[0].length }));
  found.forEach((m, i) => {
    clauses[m.key] = normalize(tail.slice(m.at + m.len, found[i + 1]?.at ?? tail.length));
  });
  const unparsed = found.length ? tail.slice(0, found[0]!.at).trim() : tail.trim();
  if (unparsed) throw new Error(`CREATE TABLE ${head[1]}: cannot read "${unparsed}"`);
  return {
    kind: 'table',
    name: head[1]!.replace(/`/g, ''),
    onCluster: head[2]?.replace(/'/g, ''),
    columns,
    otherDefinitions,
    engine: { name: engine[1]!, args },
    clauses,
  };
}

/** Every statement of a SQL file: CREATE TABLE and ADD COLUMN parsed, row changes as 'data', anything else as 'other'. */
export function parseDdl(sql: string): Array<TableDdl | OtherDdl | AddColumnDdl | DataDdl> {
  return splitTopLevel(stripComments(sql), ';').map(
    (stmt) => parseTable(stmt) ?? parseAddColumn(stmt) ?? parseData(stmt) ?? { kind: 'other', text: normalize(stmt) },
  );
}
