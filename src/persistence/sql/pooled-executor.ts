/**
 * The executor of the pooled databases (PostgreSQL, MySQL), written once over a tiny driver adapter
 * that each plugin provides (postgres/pool.ts, mysql/pool.ts):
 *  - read / write: one statement on any pooled connection, autocommit;
 *  - transact: BEGIN, the program's statements in order on one dedicated connection, COMMIT; any
 *    error ROLLBACKs (a connection whose ROLLBACK fails is destroyed, not reused). An error the
 *    dialect calls retryable (deadlock, serialization failure) runs the whole program again, up to
 *    MAX_ATTEMPTS times, after a short random pause.
 * Isolation is each database's default (READ COMMITTED on PostgreSQL, REPEATABLE READ on InnoDB);
 * the stores' programs use locking reads where a read decides a write, which is what both need.
 */
import { BoundedCache } from './bounded-cache';
import type { SqlDialect } from './dialect';
import type { SqlExecutor } from './executor';
import { runProgramAsync, type Program, type Result, type Row, type Statement } from './statement';

/** One connection of the pool, held for a transaction. */
export interface PooledConnection {
  /** `sql` is in the driver's placeholders already */
  query(sql: string, params: readonly unknown[]): Promise<Result>;
  /** back to the pool; a `broken` one is closed instead */
  release(broken: boolean): void;
}

/** What a plugin's pool must offer. */
export interface PoolDriver {
  /** one statement on any connection (autocommit) */
  query(sql: string, params: readonly unknown[]): Promise<Result>;
  connect(): Promise<PooledConnection>;
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

export class PooledExecutor implements SqlExecutor {
  readonly stats: PooledExecutorStats = { transactions: 0, retries: 0 };
  private readonly texts = new BoundedCache<string>();

  constructor(
    readonly dialect: SqlDialect,
    private readonly pool: PoolDriver,
  ) {}

  private text(sql: string): string {
    return this.texts.get(sql, (s) => this.dialect.placeholders(s));
  }

  async read(s: Statement): Promise<Row[]> {
    return (await this.pool.query(this.text(s.sql), s.params)).rows;
  }

  async write(s: Statement): Promise<number> {
    return (await this.pool.query(this.text(s.sql), s.params)).count;
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
      await conn.query('BEGIN', []);
      try {
        const out = await runProgramAsync(program(), (s) => conn.query(this.text(s.sql), s.params));
        await conn.query('COMMIT', []);
        return out;
      } catch (err) {
        try {
          await conn.query('ROLLBACK', []);
        } catch {
          broken = true;
        }
        throw err;
      }
    } finally {
      conn.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
