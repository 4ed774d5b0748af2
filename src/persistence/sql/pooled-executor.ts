/**
 * The executor of the pooled databases (PostgreSQL, MySQL), written once over a tiny driver adapter
 * that each plugin provides (postgres/pool.ts, mysql/pool.ts):
 *  - read / write: one statement on a pooled connection, autocommit;
 *  - transact: BEGIN, the program's statements in order on one dedicated connection, COMMIT; any
 *    error ROLLBACKs (a connection whose ROLLBACK fails is destroyed, not reused). An error the
 *    dialect calls retryable (deadlock, serialization failure) runs the whole program again, up to
 *    MAX_ATTEMPTS times, after a short random pause.
 * Isolation is each database's default (READ COMMITTED on PostgreSQL, REPEATABLE READ on InnoDB);
 * the stores' programs use locking reads where a read decides a write, which is what both need.
 * Running several programs in one transaction (group commit, one savepoint each, as SQLite's
 * group-commit.ts does) or pipelining their statements would be a change of this file alone.
 */
import { BoundedCache } from './bounded-cache';
import type { SqlDialect } from './dialect';
import type { SqlExecutor } from './executor';
import { runProgramAsync, type Program, type Result, type Row, type Statement } from './statement';

/** What a plugin's pool must offer, over its own connection type. */
export interface PoolDriver<C> {
  /** a connection of the pool, for one statement or one transaction */
  connect(): Promise<C>;
  /** `sql` is in the driver's placeholders already; no parameter is undefined */
  query(conn: C, sql: string, params: unknown[]): Promise<Result>;
  /** back to the pool; a `broken` one is closed instead */
  release(conn: C, broken: boolean): void;
  end(): Promise<void>;
}

export const MAX_ATTEMPTS = 5;

export interface PooledExecutorStats {
  /** transactions committed */
  transactions: number;
  /** transactions run again after a retryable error */
  retries: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PooledExecutor<C> implements SqlExecutor {
  readonly stats: PooledExecutorStats = { transactions: 0, retries: 0 };
  private readonly texts = new BoundedCache<string>();

  constructor(
    readonly dialect: SqlDialect,
    private readonly pool: PoolDriver<C>,
  ) {}

  private text(sql: string): string {
    return this.texts.get(sql, (s) => this.dialect.placeholders(s));
  }

  private run(conn: C, s: Statement): Promise<Result> {
    return this.pool.query(
      conn,
      this.text(s.sql),
      s.params.map((v) => (v === undefined ? null : v)),
    );
  }

  /**
   * One statement, autocommit, on a connection borrowed for it. After an error the connection is
   * closed rather than reused (as pg's pool.query does): it may be the connection that failed.
   */
  private async single(s: Statement): Promise<Result> {
    const conn = await this.pool.connect();
    let broken = true;
    try {
      const r = await this.run(conn, s);
      broken = false;
      return r;
    } finally {
      this.pool.release(conn, broken);
    }
  }

  async read(s: Statement): Promise<Row[]> {
    return (await this.single(s)).rows;
  }

  async write(s: Statement): Promise<number> {
    return (await this.single(s)).count;
  }

  async writeEach(statements: readonly Statement[]): Promise<number[]> {
    const out: number[] = [];
    for (const s of statements) out.push(await this.write(s));
    return out;
  }

  async transact<T>(program: () => Program<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.once(program);
        this.stats.transactions++;
        return out;
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && this.dialect.isRetryable(err)) {
          this.stats.retries++;
          await sleep(5 * attempt + Math.random() * 20);
          continue;
        }
        throw err;
      }
    }
  }

  private async once<T>(program: () => Program<T>): Promise<T> {
    const conn = await this.pool.connect();
    let broken = false;
    try {
      await this.pool.query(conn, 'BEGIN', []);
      try {
        const out = await runProgramAsync(program(), (s) => this.run(conn, s));
        await this.pool.query(conn, 'COMMIT', []);
        return out;
      } catch (err) {
        try {
          await this.pool.query(conn, 'ROLLBACK', []);
        } catch {
          broken = true;
        }
        throw err;
      }
    } finally {
      this.pool.release(conn, broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
