/**
 * PostgreSQL's dialect (postgres12 plugin): $n placeholders, ON CONFLICT, FOR UPDATE / FOR SHARE,
 * SQLSTATE error classes (23505 unique violation; 40001 serialization failure and 40P01 deadlock are
 * retried), byte order through COLLATE "C", full text through tsvector with the 'simple' configuration.
 */
import { errorCode, likeStartsWith, onConflict, rowValueAfter, type SqlDialect } from '../sql/dialect';

const RETRYABLE = new Set(['40001', '40P01']);

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholders(sql) {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  },
  forUpdate: ' FOR UPDATE',
  forShare: ' FOR SHARE',
  writableCte: true,
  statementErrorAbortsTransaction: true,
  ignoreDuplicate: (key) => onConflict('', key, 'nothing'),
  upsert: (table, key, set, when) => onConflict(table, key, set, when),
  incoming: (column) => `excluded.${column}`,
  byteOrder: (column) => `${column} COLLATE "C"`,
  after: rowValueAfter,
  bool: (b) => b,
  typedParam: (type) => `?::${type === 'bytes' ? 'bytea' : type === 'text' ? 'varchar' : 'bigint'}`,
  isDuplicateKey: (err) => errorCode(err) === '23505',
  isRetryable: (err) => RETRYABLE.has(errorCode(err) ?? ''),

  // tsvector with the 'simple' configuration (matches the GIN indexes); any of the words
  fullText(column, words, params) {
    params.push(words.map((w) => `"${w}"`).join(' or '));
    return `(to_tsvector('simple', ${column}) @@ websearch_to_tsquery('simple', ?))`;
  },
  listContains(column, value, params) {
    params.push(JSON.stringify([value]));
    return `(${column} @> CAST(? AS jsonb))`;
  },
  startsWith: likeStartsWith,
};
