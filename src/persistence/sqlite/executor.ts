/**
 * The SQLite executor: the shared stores' statements and programs on one better-sqlite3 connection.
 *  - read: runs at once (the driver is synchronous; no transaction of ours is ever open between
 *    event-loop turns, so a read sees committed data only) and hands its rows out once every
 *    commit it could have seen is on disk (wal-sync.ts);
 *  - write, writeEach, transact: through the GroupCommitter (group-commit.ts): everything submitted
 *    in one event-loop turn runs in ONE transaction, each in its own savepoint with its own checks,
 *    and is answered after COMMIT. Programs run synchronously inside their savepoint.
 * Statements are prepared once per SQL text (bounded cache: visibility queries are user-built).
 */
import type Database from 'better-sqlite3';
import { BoundedCache } from '../sql/bounded-cache';
import type { SqlExecutor } from '../sql/executor';
import { countStatement } from '../sql/statement-stats';
import { runProgram, type Program, type Result, type Row, type Statement } from '../sql/statement';
import { sqliteDialect } from './dialect';
import type { SqliteConnection } from './connect';
import { GroupCommitter } from './group-commit';

/** better-sqlite3 binds no booleans and no undefined */
const param = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v);

export class SqliteExecutor implements SqlExecutor {
  readonly dialect = sqliteDialect;
  readonly committer: GroupCommitter;
  private readonly prepared = new BoundedCache<Database.Statement>();

  private readonly db: Database.Database;

  constructor(private readonly conn: SqliteConnection) {
    this.db = conn.db;
    this.committer = new GroupCommitter(conn.db, conn.walSync);
  }

  private run(s: Statement): Result {
    if (s.batch) return { rows: [], count: s.batch.reduce((n, one) => n + this.run(one).count, 0) };
    countStatement(s.sql, false);
    const st = this.prepared.get(s.sql, (sql) => this.db.prepare(sql));
    const params = s.params.map(param);
    if (st.reader) {
      const rows = st.all(...params) as Row[];
      return { rows, count: rows.length };
    }
    return { rows: [], count: st.run(...params).changes };
  }

  async read(s: Statement): Promise<Row[]> {
    const rows = this.run(s).rows;
    await this.committer.whenDurable();
    return rows;
  }

  write(s: Statement): Promise<number> {
    return this.committer.submit(() => this.run(s).count);
  }

  writeEach(statements: readonly Statement[]): Promise<number[]> {
    // submitted in one turn: one group commit
    return Promise.all(statements.map((s) => this.write(s)));
  }

  transact<T>(program: () => Program<T>): Promise<T> {
    return this.committer.submit(() => runProgram(program(), (s) => this.run(s)));
  }

  async close(): Promise<void> {
    this.committer.flush();
    await this.conn.walSync?.close();
    await this.conn.checkpointer?.stop();
    this.db.close();
  }
}
