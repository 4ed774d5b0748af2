/**
 * The executor of the pooled databases (PostgreSQL, MySQL), written once over a tiny driver adapter
 * that each plugin provides (postgres/pool.ts, mysql/pool.ts):
 *  - read / write: one statement on a pooled connection, autocommit;
 *  - transact: BEGIN, the program's statements in order on one dedicated connection, COMMIT; any
 *    error ROLLBACKs (a connection whose ROLLBACK fails is destroyed, not reused). An error the
 *    dialect calls retryable (deadlock, serialization failure) runs the whole program again, up to
 *    MAX_ATTEMPTS times, after a short random pause.
 * Isolation is READ COMMITTED (PostgreSQL's default; set on each MySQL session by mysql/pool.ts);
 * the stores' programs use locking reads where a read decides a write.
 *
 * Group commit (see PooledExecutorOptions.groupCommit): while `groupAt` transactions are in flight (the pool is about to be exhausted) new
 * programs queue, and the next transaction to finish takes up to MAX_GROUP of them into one
 * transaction: one BEGIN and one COMMIT (and one fsync on the database) for all, the programs run
 * one after the other as a serial execution would. Any error before COMMIT undoes the whole group:
 * a program that failed by itself (a condition) gets its error (it ran once, as alone); a statement
 * error (a deadlock between groups, say) and the other programs of the group run again, each alone.
 * An error at COMMIT reaches every program of the group, as it would reach a lone one. A statement
 * marked sameUntilCommit (the shard fence) runs once per group and its answer serves the programs
 * after it: the share lock it took holds that answer until COMMIT.
 */
import { BoundedCache } from './bounded-cache';
import type { SqlDialect } from './dialect';
import type { SqlExecutor } from './executor';
import { countStatement, countTransaction } from './statement-stats';
import { runProgramAsync, type Program, type Result, type Row, type Statement } from './statement';

/** What a plugin's pool must offer, over its own connection type. */
export interface PoolDriver<C> {
  /** a connection of the pool, for one statement or one transaction */
  connect(): Promise<C>;
  /** `sql` is in the driver's placeholders already; no parameter is undefined */
  query(conn: C, sql: string, params: unknown[]): Promise<Result>;
  /**
   * Several statements in one round trip, in order, stopping at the first error (which it throws);
   * count is the sum of theirs. Without it a batch runs one statement after the other.
   */
  queryBatch?(conn: C, statements: readonly { sql: string; params: unknown[] }[]): Promise<Result>;
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
  /** transactions that carried several programs (group commit), and the programs they carried */
  groups: number;
  grouped: number;
  /** group transactions undone by an error before COMMIT (their programs settled or ran again alone) */
  undone: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Programs per group transaction at most. */
const MAX_GROUP = 16;

interface Queued {
  program: () => Program<unknown>;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

export interface PooledExecutorOptions {
  /** the pool's size: transactions group once this many less a few (for lone reads) are in flight */
  maxConns?: number;
  /**
   * Group commit (see the header). Only where a statement sees the latest committed rows (READ
   * COMMITTED): under REPEATABLE READ a program's plain reads would see the snapshot an earlier
   * program of the group began, not the latest one.
   */
  groupCommit?: boolean;
}

export class PooledExecutor<C> implements SqlExecutor {
  readonly stats: PooledExecutorStats = { transactions: 0, retries: 0, groups: 0, grouped: 0, undone: 0 };
  private readonly texts = new BoundedCache<string>();
  private readonly groupAt: number;
  private inflight = 0;
  private queue: Queued[] = [];

  constructor(
    readonly dialect: SqlDialect,
    private readonly pool: PoolDriver<C>,
    options: PooledExecutorOptions = {},
  ) {
    this.groupAt = options.groupCommit ? Math.max(2, (options.maxConns ?? 10) - 4) : Number.POSITIVE_INFINITY;
  }

  private text(sql: string): string {
    return this.texts.get(sql, (s) => this.dialect.placeholders(s));
  }

  private async runBatch(conn: C, batch: readonly Statement[]): Promise<Result> {
    if (this.pool.queryBatch) {
      batch.forEach((s, i) => countStatement(s.sql, i === 0));
      return this.pool.queryBatch(
        conn,
        batch.map((s) => ({ sql: this.text(s.sql), params: s.params.map((v) => (v === undefined ? null : v)) })),
      );
    }
    let count = 0;
    for (const s of batch) count += (await this.run(conn, s)).count;
    return { rows: [], count };
  }

  private run(conn: C, s: Statement): Promise<Result> {
    if (s.batch) return this.runBatch(conn, s.batch);
    countStatement(s.sql, true);
    return this.pool.query(
      conn,
      this.text(s.sql),
      s.params.map((v) => (v === undefined ? null : v)),
    );
  }

  /** BEGIN, COMMIT, ROLLBACK */
  private control(conn: C, sql: 'BEGIN' | 'COMMIT' | 'ROLLBACK'): Promise<Result> {
    countStatement(sql, true);
    if (sql === 'BEGIN') countTransaction();
    return this.pool.query(conn, sql, []);
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

  transact<T>(program: () => Program<T>): Promise<T> {
    if (this.inflight >= this.groupAt) {
      return new Promise<T>((resolve, reject) => this.queue.push({ program, resolve: resolve as (v: unknown) => void, reject }));
    }
    this.inflight++;
    return this.alone(program).finally(() => this.next());
  }

  /** A transaction ended: the programs that queued meanwhile go together. */
  private next(): void {
    if (this.queue.length === 0) {
      this.inflight--;
      return;
    }
    const group = this.queue.splice(0, MAX_GROUP);
    void this.together(group).finally(() => this.next());
  }

  /** One program in its own transaction, run again after a retryable error. */
  private async alone<T>(program: () => Program<T>): Promise<T> {
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
      const gen = program();
      const first = gen.next();
      if (first.done) return first.value;
      if (first.value.selfContained) return await this.selfContained(conn, gen, first.value, () => (broken = true));
      await this.control(conn, 'BEGIN');
      try {
        const out = await runProgramAsync(gen, (s) => this.run(conn, s), first.value);
        await this.control(conn, 'COMMIT');
        return out;
      } catch (err) {
        broken = !(await this.rollback(conn));
        throw err;
      }
    } finally {
      this.pool.release(conn, broken);
    }
  }

  /**
   * A program whose one statement is selfContained: that statement in autocommit, a transaction of
   * its own (one round trip). A statement error marks the connection broken, as for a lone write.
   */
  private async selfContained<T>(conn: C, gen: Program<T>, s: Statement, markBroken: () => void): Promise<T> {
    countTransaction();
    let step: IteratorResult<Statement, T> | undefined;
    let result: Result | undefined;
    try {
      result = await this.run(conn, s);
    } catch (err) {
      markBroken();
      step = gen.throw(err);
    }
    step ??= gen.next(result!);
    if (!step.done) throw new Error(`a program went on after its self-contained statement: ${step.value.sql.slice(0, 80)}`);
    return step.value;
  }

  /** false when even ROLLBACK failed (the connection is not to be reused) */
  private async rollback(conn: C): Promise<boolean> {
    try {
      await this.control(conn, 'ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  /** Several programs in one transaction (see the header); each settles its own promise. */
  private async together(group: Queued[]): Promise<void> {
    if (group.length === 1) {
      const [q] = group;
      await this.alone(q!.program).then(q!.resolve, q!.reject);
      return;
    }
    const outs: unknown[] = [];
    let failed: { index: number; own: boolean; err: unknown } | undefined;
    let commitErr: { err: unknown } | undefined;
    const conn = await this.pool.connect().catch((err: unknown) => {
      for (const q of group) q.reject(err);
      return undefined;
    });
    if (conn === undefined) return;
    let broken = false;
    // answers of locking reads that hold until COMMIT (the shard fence of each program of a shard)
    const held = new Map<string, Result>();
    const run = (s: Statement): Promise<Result> => {
      if (!s.sameUntilCommit) return this.run(conn, s);
      const key = `${s.sql}\u0000${s.params.map(String).join('\u0000')}`;
      const known = held.get(key);
      if (known) return Promise.resolve(known);
      return this.run(conn, s).then((r) => {
        held.set(key, r);
        return r;
      });
    };
    try {
      await this.control(conn, 'BEGIN');
      for (let i = 0; i < group.length && !failed; i++) {
        let statementErr: unknown;
        try {
          outs.push(
            await runProgramAsync(group[i]!.program(), (s) =>
              run(s).catch((err: unknown) => {
                statementErr = err;
                throw err;
              }),
            ),
          );
        } catch (err) {
          failed = { index: i, own: err !== statementErr, err };
        }
      }
      if (!failed) {
        try {
          await this.control(conn, 'COMMIT');
        } catch (err) {
          commitErr = { err };
        }
      }
      if (failed || commitErr) broken = !(await this.rollback(conn));
    } catch (err) {
      // BEGIN failed: nothing ran
      failed = { index: -1, own: false, err };
      broken = true;
    } finally {
      this.pool.release(conn, broken);
    }
    if (commitErr) {
      for (const q of group) q.reject(commitErr.err);
      return;
    }
    if (!failed) {
      this.stats.transactions++;
      this.stats.groups++;
      this.stats.grouped += group.length;
      group.forEach((q, i) => q.resolve(outs[i]));
      return;
    }
    // undone: the program that failed by itself keeps its error, the others run again alone
    this.stats.undone++;
    const again = group.filter((q, i) => {
      if (i === failed.index && failed.own) {
        q.reject(failed.err);
        return false;
      }
      return true;
    });
    for (const q of again) await this.alone(q.program).then(q.resolve, q.reject);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
