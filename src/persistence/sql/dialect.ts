/**
 * The dialect contract: everything the shared SQL stores (this folder) and the visibility query
 * compiler need to know about one database's SQL, and nothing else. Each plugin folder has one
 * (sqlite/dialect.ts, postgres/dialect.ts, mysql/dialect.ts). A dialect is stateless text and
 * classification: it opens no connection and runs no statement (that is the executor's job,
 * executor.ts), and it holds no table knowledge (that is the stores').
 *
 * The building blocks at the end are shared by more than one dialect.
 */
import type { Statement } from './statement';

/** One `column = expression` of an upsert's update. */
export type Assignment = readonly [column: string, expression: string];

/** A condition under which an upsert updates the stored row at all (else the row is left as it is). */
export interface UpsertCondition {
  /** the columns the condition reads (MySQL assigns them last, see mysql/dialect.ts) */
  readonly columns: readonly string[];
  /** the condition, given how to name the incoming and the stored value of a column */
  condition(incoming: (column: string) => string, stored: (column: string) => string): string;
}

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres' | 'mysql';

  // ------------------------------------------------------------ statements
  /** Turns the portable `?` placeholders into the driver's ($1, $2, ... on PostgreSQL). */
  placeholders(sql: string): string;
  /** Appended to a read inside a write: lock the rows read for the rest of the transaction. */
  readonly forUpdate: string;
  /**
   * Data-modifying statements in WITH (PostgreSQL): a shard write goes as one statement
   * (one-statement-writes.ts) instead of one per table.
   */
  readonly writableCte: boolean;
  /**
   * A failed statement ends the transaction's usefulness (PostgreSQL: every later statement fails
   * until ROLLBACK); SQLite and MySQL undo the failed statement alone and go on.
   */
  readonly statementErrorAbortsTransaction: boolean;
  /** Appended to a read inside a write: share-lock the rows read (writers of them wait, readers do not). */
  readonly forShare: string;
  /**
   * After `INSERT INTO t (...) VALUES (...)`: a row whose `key` exists already is left alone and no
   * error is raised. The write's count is not meaningful on MySQL (a kept row counts as found).
   */
  ignoreDuplicate(key: readonly string[]): string;
  /**
   * After `INSERT INTO table (...) VALUES (...)`: a row whose `key` exists already is updated by
   * `set` instead (expressions name the INSERT's value with `incoming(column)` and the stored one
   * as `table.column`), only where `when` holds if given.
   */
  upsert(table: string, key: readonly string[], set: readonly Assignment[], when?: UpsertCondition): string;
  /** Inside upsert's expressions: the value the INSERT carried for `column`. */
  incoming(column: string): string;
  /** An ORDER BY term that sorts text by its bytes (as SQLite's BINARY collation does). */
  byteOrder(column: string): string;
  /** Keyset paging: the condition "after `values`" in the order of `columns` (all ascending). */
  after(columns: readonly string[], values: readonly unknown[]): Statement;

  // ------------------------------------------------------------ values
  /** A boolean as a statement parameter. */
  bool(b: boolean): unknown;
  /**
   * A parameter where nothing gives it a type, as a value of an `INSERT ... SELECT` select list
   * (PostgreSQL would take it for text and refuse it for a bigint or bytea column): `?` with a cast
   * where the database needs one.
   */
  typedParam(type: 'bigint' | 'bytes' | 'text'): string;

  // ------------------------------------------------------------ errors
  /** The error is a unique or primary key violation. */
  isDuplicateKey(err: unknown): boolean;
  /** The error aborted the transaction for reasons of concurrency only (deadlock, serialization): run it again. */
  isRetryable(err: unknown): boolean;

  // ------------------------------------------------------------ visibility queries (src/visibility/query/compiler.ts)
  /** "any of these words" on a Text column */
  fullText(column: string, words: string[], params: unknown[]): string;
  /** a KeywordList column (JSON array) contains the value */
  listContains(column: string, value: string, params: unknown[]): string;
  startsWith(column: string, prefix: string, negated: boolean, params: unknown[]): string;
}

// ---------------------------------------------------------------- shared building blocks
/** PostgreSQL's and SQLite's ON CONFLICT clauses (SQLite took PostgreSQL's syntax). */
export function onConflict(table: string, key: readonly string[], set: readonly Assignment[] | 'nothing', when?: UpsertCondition): string {
  const target = `ON CONFLICT (${key.join(', ')})`;
  if (set === 'nothing') return `${target} DO NOTHING`;
  const assignments = set.map(([c, e]) => `${c} = ${e}`).join(', ');
  const where = when
    ? ` WHERE ${when.condition(
        (c) => `excluded.${c}`,
        (c) => `${table}.${c}`,
      )}`
    : '';
  return `${target} DO UPDATE SET ${assignments}${where}`;
}

/** Row-value comparison `(a, b) > (?, ?)` (PostgreSQL, SQLite; MySQL does not always use its index for it). */
export function rowValueAfter(columns: readonly string[], values: readonly unknown[]): Statement {
  return { sql: `(${columns.join(', ')}) > (${columns.map(() => '?').join(', ')})`, params: [...values] };
}

/** LIKE pattern escaping with '!' (the same on all three databases, unlike backslash). */
export function likeEscape(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`);
}

/** STARTS_WITH as a case-sensitive LIKE (PostgreSQL; MySQL with the binary collation of its tables). */
export function likeStartsWith(column: string, prefix: string, negated: boolean, params: unknown[]): string {
  params.push(`${likeEscape(prefix)}%`);
  return `(${column} ${negated ? 'NOT LIKE' : 'LIKE'} ? ESCAPE '!')`;
}

/** The `code` property drivers put on their errors (SQLSTATE on pg, SQLITE_* on better-sqlite3). */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
