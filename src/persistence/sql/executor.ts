/**
 * The executor contract: how the shared SQL stores reach one database. A plugin opens one per store
 * bundle (its connection or pool inside); the stores build statements and programs
 * (statement.ts) in the executor's dialect and hand them over. What an executor promises:
 *  - read: one statement, right away, outside any transaction the stores started;
 *  - write / writeEach: single statements, each atomic on its own;
 *  - transact: a program, atomically: all of its statements or none, its reads seeing its own
 *    writes, and the caller answered only once it is durable. An error a program throws (a fencing
 *    or condition check) undoes it and reaches the caller as thrown.
 * How (group commit on SQLite, pooled transactions with retry on PostgreSQL and MySQL) is the
 * executor's business; SQL text is the dialect's and the stores'.
 */
import type { SqlDialect } from './dialect';
import type { Program, Row, Statement } from './statement';

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** The rows of one statement (a read). */
  read(s: Statement): Promise<Row[]>;
  /** One write statement; the number of rows it matched. */
  write(s: Statement): Promise<number>;
  /**
   * Independent writes, each atomic on its own (not together): SQLite commits them in one group
   * commit; a pooled database runs them one after the other, so a long list never holds many
   * connections or long locks against the hot path.
   */
  writeEach(s: readonly Statement[]): Promise<number[]>;
  /** Runs `program` as one transaction; `program` may be called again to retry it from the start. */
  transact<T>(program: () => Program<T>): Promise<T>;
  close(): Promise<void>;
}
