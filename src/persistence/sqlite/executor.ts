/**
 * The SQLite executor: the shared stores' statements and programs on one better-sqlite3 connection.
 *  - read: runs at once (the driver is synchronous; no transaction of ours is ever open between
 *    event-loop turns, so a read sees committed data only) and hands its rows out once every
 *    commit it could have seen is on disk (wal-sync.ts);
 *  - write, writeEach, transact: through the GroupCommitter (group-commit.ts): everything submitted
 *    in one event-loop turn runs in ONE transaction, each in its own savepoint with its own checks,
 *    and is answered after COMMIT. Programs run synchronously inside their savepoint.
 * Statements are prepared once per SQL text (bounded cache: visibility queries are user-built).
 * A statement marked sameUntilCommit (the shard fence) is asked once per group transaction and shard:
 * the programs after the first get its answer, until a statement of the transaction writes the
 * shards table (a shard's acquisition, `updateShard`, may run in the same group transaction).
 */
import type Database from 'better-sqlite3';
import { BoundedCache } from '../sql/bounded-cache';
import type { SqlExecutor } from '../sql/executor';
import { countStatement } from '../sql/statement-stats';
import { runProgram, type Program, type Result, type Row, type Statement } from '../sql/statement';
import { sqliteDialect } from './dialect';
import type { SqliteConnection } from './connect';
import { GroupCommitter } from './group-commit';

/** A statement that may change what a sameUntilCommit read (of the shards table) answers. */
const WRITES_SHARDS = /^\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b[^;]*?\bshards\b/i;

/** better-sqlite3 binds no booleans and no undefined */
const param = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v);

export class SqliteExecutor implements SqlExecutor {
  readonly dialect = sqliteDialect;
  readonly committer: GroupCommitter;
  private readonly prepared = new BoundedCache<Database.Statement>();
  /** answers of sameUntilCommit statements in the group transaction `heldIn` (see the header) */
  private readonly held = new Map<string, Result>();
  private heldIn = -1;

  private readonly db: Database.Database;

  constructor(private readonly conn: SqliteConnection) {
    this.db = conn.db;
    this.committer = new GroupCommitter(conn.db, conn.walSync);
  }

  private run(s: Statement): Result {
    if (s.batch) return { rows: [], count: s.batch.reduce((n, one) => n + this.run(one).count, 0) };
    if (s.sameUntilCommit && this.db.inTransaction) return this.runHeld(s);
    if (this.held.size > 0 && s.sql.includes('shards') && WRITES_SHARDS.test(s.sql)) this.held.clear();
    countStatement(s.sql, false);
    const st = this.prepared.get(s.sql, (sql) => this.db.prepare(sql));
    const params = s.params.map(param);
    if (st.reader) {
      const rows = st.all(...params) as Row[];
      return { rows, count: rows.length };
    }
    return { rows: [], count: st.run(...params).changes };
  }

  /** A sameUntilCommit read inside a group transaction: asked once, then answered from `held`. */
  private runHeld(s: Statement): Result {
    if (this.heldIn !== this.committer.transactionSeq) {
      this.held.clear();
      this.heldIn = this.committer.transactionSeq;
    }
    const key = `${s.sql}\u0000${s.params.map(String).join('\u0000')}`;
    const known = this.held.get(key);
    if (known) return known;
    const r = this.run({ sql: s.sql, params: s.params });
    this.held.set(key, r);
    return r;
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
