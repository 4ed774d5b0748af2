/**
 * MySQL 8's dialect (mysql8 plugin; only SQL common to MySQL 8 and MariaDB 10.11 is used): `?`
 * placeholders, ON DUPLICATE KEY UPDATE, FOR UPDATE / LOCK IN SHARE MODE, errno 1062 (duplicate key)
 * and 1213 (deadlock, retried). The pool's sessions run at READ COMMITTED (mysql/pool.ts), and every
 * read that decides a write is a locking read besides, so it sees the latest committed row. The tables
 * are utf8mb4_bin, so plain ORDER BY is byte order.
 */
import { likeStartsWith, type SqlDialect } from '../sql/dialect';
import type { Statement } from '../sql/statement';

const ER_DUP_ENTRY = 1062;
const ER_LOCK_DEADLOCK = 1213;

const errno = (err: unknown): number | undefined => {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
};

/** `a > ? OR (a = ? AND (b > ? OR ...))`: row-value comparisons do not always use MySQL's primary key. */
function expandedAfter(columns: readonly string[], values: readonly unknown[]): Statement {
  const [c, ...rest] = columns;
  if (c === undefined) throw new Error('keyset paging needs at least one column');
  if (rest.length === 0) return { sql: `${c} > ?`, params: [values[0]] };
  const inner = expandedAfter(rest, values.slice(1));
  return { sql: `${c} > ? OR (${c} = ? AND (${inner.sql}))`, params: [values[0], values[0], ...inner.params] };
}

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  placeholders: (sql) => sql,
  forUpdate: ' FOR UPDATE',
  forShare: ' LOCK IN SHARE MODE',
  writableCte: false,
  statementErrorAbortsTransaction: false,
  ignoreDuplicate: (key) => `ON DUPLICATE KEY UPDATE ${key[0]} = ${key[0]}`,
  // ON DUPLICATE KEY UPDATE has no WHERE: under a condition each column keeps its value unless the
  // condition holds. Assignments run left to right, so the columns the condition reads go last.
  upsert(_table, _key, set, when) {
    if (!when) return `ON DUPLICATE KEY UPDATE ${set.map(([c, e]) => `${c} = ${e}`).join(', ')}`;
    const cond = when.condition(
      (c) => `VALUES(${c})`,
      (c) => c,
    );
    const ordered = [...set.filter(([c]) => !when.columns.includes(c)), ...set.filter(([c]) => when.columns.includes(c))];
    return `ON DUPLICATE KEY UPDATE ${ordered.map(([c, e]) => `${c} = IF(${cond}, ${e}, ${c})`).join(', ')}`;
  },
  incoming: (column) => `VALUES(${column})`,
  byteOrder: (column) => column,
  after: (columns, values) => {
    const s = expandedAfter(columns, values);
    return { sql: `(${s.sql})`, params: s.params };
  },
  bool: (b) => (b ? 1 : 0),
  typedParam: () => '?',
  isDuplicateKey: (err) => errno(err) === ER_DUP_ENTRY,
  isRetryable: (err) => errno(err) === ER_LOCK_DEADLOCK,

  // InnoDB FULLTEXT, natural language mode: rows containing any of the words (words shorter than
  // innodb_ft_min_token_size, 3 by default, and stopwords are ignored by MySQL)
  fullText(column, words, params) {
    params.push(words.join(' '));
    return `(MATCH(${column}) AGAINST (? IN NATURAL LANGUAGE MODE))`;
  },
  listContains(column, value, params) {
    params.push(JSON.stringify(value));
    return `(JSON_CONTAINS(${column}, ?))`;
  },
  startsWith: likeStartsWith,
};
