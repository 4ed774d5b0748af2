/**
 * Fuzz: thousands of random and hostile queries. The parser + compiler either produce SQL that
 * executes on SQLite, or throw the typed QueryError; never another exception. The SQL text only
 * ever holds our own vocabulary (keywords, known columns, placeholders): no literal of the input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { compileQuery } from '../../src/visibility/query/compiler';
import { sqliteDialect } from '../../src/persistence/sqlite/dialect';
import { QueryError } from '../../src/visibility/query/errors';
import { parseQuery } from '../../src/visibility/query/parser';
import { ALL_CUSTOM_COLUMNS, NamespaceAttributes } from '../../src/visibility/search-attributes';
import { BASE_COLUMNS } from '../../src/visibility/store';
import { REPO_ROOT } from '../helpers/processes';

const attrs = new NamespaceAttributes([
  { name: 'Kw', type: 'Keyword', column: 'Keyword01' },
  { name: 'Num', type: 'Int', column: 'Int01' },
  { name: 'Dbl', type: 'Double', column: 'Double01' },
  { name: 'Flag', type: 'Bool', column: 'Bool01' },
  { name: 'When', type: 'Datetime', column: 'Datetime01' },
  { name: 'Txt', type: 'Text', column: 'Text01' },
  { name: 'Tags', type: 'KeywordList', column: 'KeywordList01' },
]);
const NAMES = [
  'WorkflowId',
  'WorkflowType',
  'RunId',
  'ExecutionStatus',
  'StartTime',
  'CloseTime',
  'ExecutionTime',
  'ExecutionDuration',
  'HistoryLength',
  'TaskQueue',
  'Kw',
  'Num',
  'Dbl',
  'Flag',
  'When',
  'Txt',
  'Tags',
  'Nope',
  'TemporalChangeVersion',
];
const OPS = [
  '=',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  'IN',
  'NOT IN',
  'BETWEEN',
  'NOT BETWEEN',
  'STARTS_WITH',
  'NOT STARTS_WITH',
  'IS NULL',
  'IS NOT NULL',
  'LIKE',
];
const VALUES = [
  "'abc'",
  '"x y"',
  '12',
  '-3.5',
  '1e3',
  'true',
  'FALSE',
  "'Running'",
  "'Completed'",
  "'2024-01-01T00:00:00Z'",
  "'1h30m'",
  "''",
  "'it''s'",
  "'a\\'b'",
  "' OR 1=1 --'",
  "'; DROP TABLE executions_visibility; --'",
  "'%_!*?['",
  '99999999999999999999999',
  "'\u00e9\u4e2d\u{1F600}'",
  `'${'x'.repeat(5000)}'`,
  "'\\u0000'",
  'NULL',
  '0x1F',
  "'\\'",
  '1.2.3',
];
const JUNK = [
  '(',
  ')',
  ',',
  'AND',
  'OR',
  'NOT',
  'ORDER BY',
  'GROUP BY',
  'ASC',
  'DESC',
  ';',
  '--',
  '/*',
  '*/',
  '`',
  "'",
  '"',
  '\u0000',
  '\u200b',
  '🙂',
  '$1',
  '?',
  '@x',
  '#',
  '\\',
  '..',
  'SELECT',
  'UNION',
];

// our vocabulary: SQL keywords and functions we emit, the known columns, json_each
const VOCAB = new Set(
  [
    'AND',
    'OR',
    'NOT',
    'IN',
    'BETWEEN',
    'IS',
    'NULL',
    'LIKE',
    'ESCAPE',
    'GLOB',
    'EXISTS',
    'SELECT',
    'FROM',
    'WHERE',
    'json_each',
    'value',
    ...BASE_COLUMNS,
    ...ALL_CUSTOM_COLUMNS,
  ].map((w) => w.toLowerCase()),
);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function generate(r: () => number): string {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const kind = r();
  if (kind < 0.15) {
    // random token soup
    const n = 1 + Math.floor(r() * 12);
    return Array.from({ length: n }, () => pick([...NAMES, ...OPS, ...VALUES.slice(0, 15), ...JUNK])).join(r() < 0.8 ? ' ' : '');
  }
  if (kind < 0.2) {
    // random characters, unicode included
    const n = Math.floor(r() * 40);
    return Array.from({ length: n }, () => String.fromCodePoint(r() < 0.8 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 0x1ffff))).join('');
  }
  if (kind < 0.25) {
    // deep nesting, balanced or not
    const d = Math.floor(r() * 80);
    return `${'('.repeat(d)}WorkflowId = 'a'${')'.repeat(r() < 0.5 ? d : Math.floor(r() * d))}`;
  }
  if (kind < 0.28) {
    const d = Math.floor(r() * 60);
    return `${'NOT '.repeat(d)}Num = 1`;
  }
  const pred = (): string => {
    const name = r() < 0.1 ? `\`${pick(NAMES)}\`` : pick(NAMES);
    const op = pick(OPS);
    if (op.endsWith('IN')) return `${name} ${op} (${Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(VALUES)).join(', ')})`;
    if (op.endsWith('BETWEEN')) return `${name} ${op} ${pick(VALUES)} AND ${pick(VALUES)}`;
    if (op.startsWith('IS')) return `${name} ${op}`;
    return `${name} ${op} ${pick(VALUES)}`;
  };
  const expr = (depth: number): string => {
    if (depth > 3 || r() < 0.4) return pred();
    const parts = Array.from({ length: 2 + Math.floor(r() * 3) }, () => expr(depth + 1));
    const joined = parts.join(r() < 0.5 ? ' AND ' : ' OR ');
    return r() < 0.5 ? `(${joined})` : r() < 0.2 ? `NOT (${joined})` : joined;
  };
  let q = expr(0);
  if (r() < 0.1) q += ' GROUP BY ExecutionStatus';
  if (r() < 0.2) q += ` ORDER BY ${pick(NAMES)} ${pick(['ASC', 'DESC', ''])}`;
  if (r() < 0.05) q = q.slice(0, Math.floor(r() * q.length)); // truncated
  return q;
}

function literalsOf(q: string): string[] {
  return [...q.matchAll(/'((?:[^'\\]|''|\\.)*)'/g)].map((m) => m[1]!).filter((s) => s.length >= 3);
}

test('fuzz: random and hostile queries give an AST with SQL that runs, or a QueryError', () => {
  const db = new Database(':memory:');
  db.exec(readFileSync(join(REPO_ROOT, 'schema/sqlite/v3/visibility/schema.sql'), 'utf8'));
  const r = rng(20240501);
  const queries = [
    "' OR 1=1 --",
    "WorkflowId = '' OR 1=1 --'",
    "WorkflowId = 'a' OR '1'='1'",
    "WorkflowId = 'a'); DROP TABLE executions_visibility; --",
    '((((((((((',
    '))))',
    '(()',
    'WorkflowId IN ()',
    "WorkflowId IN ('a',)",
    'ORDER BY',
    'GROUP BY',
    'NOT',
    "`WorkflowId` = 'a' ORDER BY `StartTime` DESC",
    `WorkflowId = '${'z'.repeat(40_000)}'`,
    `${'('.repeat(10_000)}`,
    `${Array.from({ length: 300 }, () => "Kw = 'a'").join(' AND ')}`,
    `Num IN (${Array.from({ length: 1200 }, (_, i) => i).join(',')})`,
    'Num = 1e999',
    'When = 99999999999999999999999999',
    'Kw = "\u0000"',
  ];
  for (let i = 0; i < 5000; i++) queries.push(generate(r));
  let ok = 0;
  let rejected = 0;
  for (const q of queries) {
    let compiled;
    try {
      const ast = parseQuery(q);
      compiled = compileQuery(ast, attrs, sqliteDialect, q.includes('GROUP BY') ? 'count' : 'list');
    } catch (err) {
      if (!(err instanceof QueryError)) assert.fail(`query ${JSON.stringify(q.slice(0, 200))} threw ${String(err)}`);
      assert.ok(err.message.length > 0 && err.message.length < 600, 'message is a sentence');
      if (err.offset !== undefined) assert.ok(err.offset >= 0 && err.offset <= q.length, `offset ${err.offset} within the query`);
      rejected++;
      continue;
    }
    const sql = `SELECT COUNT(*) FROM executions_visibility WHERE namespace_id = ? AND ${compiled.where}`;
    // the SQL text holds only our vocabulary: no quotes except the fixed ESCAPE '!', no input literal
    const stripped = compiled.where.replace(/ESCAPE '!'/g, '');
    assert.ok(!/['"`;]|--|\/\*/.test(stripped), `SQL has quotes or comments: ${sql.slice(0, 300)}`);
    for (const w of stripped.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) assert.ok(VOCAB.has(w.toLowerCase()), `SQL has a foreign word ${w}: ${sql.slice(0, 300)}`);
    for (const n of stripped.replace(/[A-Za-z_][A-Za-z0-9_]*/g, '').match(/\d+/g) ?? [])
      assert.ok(n === '1' || n === '0', `SQL has a number ${n}: ${sql.slice(0, 300)}`);
    for (const lit of literalsOf(q)) assert.ok(!sql.includes(lit) || VOCAB.has(lit.toLowerCase()), `SQL contains the literal ${lit.slice(0, 40)}`);
    db.prepare(sql).all('ns', ...compiled.params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p)));
    ok++;
  }
  db.close();
  assert.ok(ok > 300, `only ${ok} queries were valid`);
  assert.ok(rejected > 500, `only ${rejected} queries were rejected`);
  console.log(`fuzz: ${queries.length} queries, ${ok} compiled and ran on SQLite, ${rejected} rejected with QueryError`);
});
