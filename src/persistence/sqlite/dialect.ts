/**
 * SQLite's dialect (sqlite plugin). One process owns the file and better-sqlite3 is synchronous, so
 * there are no row locks to take (the group commit's BEGIN IMMEDIATE holds the write lock) and no
 * deadlocks to retry; a busy file is waited for by busy_timeout.
 */
import { errorCode, likeEscape, onConflict, rowValueAfter, type SqlDialect } from '../sql/dialect';

const DUPLICATE = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholders: (sql) => sql,
  forUpdate: '',
  forShare: '',
  writableCte: false,
  statementErrorAbortsTransaction: false,
  ignoreDuplicate: (key) => onConflict('', key, 'nothing'),
  upsert: (table, key, set, when) => onConflict(table, key, set, when),
  incoming: (column) => `excluded.${column}`,
  byteOrder: (column) => column,
  after: rowValueAfter,
  bool: (b) => (b ? 1 : 0),
  typedParam: () => '?',
  isDuplicateKey: (err) => DUPLICATE.has(errorCode(err) ?? ''),
  isRetryable: () => false,

  // SQLite has no full-text index on these columns: any word as a substring, case-insensitive for ASCII
  fullText(column, words, params) {
    for (const w of words) params.push(`%${likeEscape(w)}%`);
    return `(${words.map(() => `${column} LIKE ? ESCAPE '!'`).join(' OR ')})`;
  },
  listContains(column, value, params) {
    params.push(value);
    return `(EXISTS (SELECT 1 FROM json_each(${column}) WHERE json_each.value = ?))`;
  },
  // GLOB is case-sensitive (LIKE is not in SQLite); escape its metacharacters with [x]
  startsWith(column, prefix, negated, params) {
    params.push(`${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`);
    return `(${column} ${negated ? 'NOT GLOB' : 'GLOB'} ?)`;
  },
};
