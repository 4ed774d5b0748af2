/**
 * Durability of SQLite commits without blocking the event loop.
 *
 * better-sqlite3 is synchronous: with `PRAGMA synchronous=FULL` every COMMIT fsyncs the WAL on the
 * main thread, and while it waits (milliseconds on ordinary disks) no gRPC call, poll or timer of
 * the whole server runs. Instead the connection runs with `synchronous=NORMAL` (a COMMIT appends its
 * frames to the WAL in the OS page cache and returns) and this module fdatasyncs the WAL file on
 * libuv's thread pool. A commit is reported durable, and its callers answered, only once an fdatasync
 * that began after it has finished: the same guarantee as FULL (acknowledged means on disk), with
 * the commits of the meantime sharing one fdatasync.
 *
 * Why this is sound: in WAL mode a transaction is the WAL frames up to its commit frame; once they
 * are on disk a restart replays them (SQLite checks each frame's checksum and salt). With NORMAL,
 * SQLite itself syncs the WAL before every checkpoint and the database file after it, so frames are
 * only copied out, and the WAL only restarted, after they were durable.
 *
 * Reads must not return what is not yet durable (a client could see a write that an OS crash then
 * takes back): the SQLite executor waits on `whenDurable()` before handing a read's rows out.
 *
 * A failed fdatasync is fatal for the connection (as PostgreSQL PANICs): what it covered may not be
 * on disk, so every waiting and every later write fails with the error until the server restarts and
 * SQLite recovers from the WAL.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class WalSync {
  /** commits made so far (sequence numbers 1, 2, ...) */
  private committed = 0;
  /** every commit up to this one is on disk */
  private durable = 0;
  private inflight = false;
  private failed: Error | undefined;
  private fd: number | undefined;
  private waiters: Waiter[] = [];
  /** fdatasyncs issued (for tests and stats) */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  /** the sequence number of the last commit, and of the last one known to be on disk */
  get committedSeq(): number {
    return this.committed;
  }
  get durableSeq(): number {
    return this.durable;
  }

  /** Records a COMMIT that just returned; starts a sync unless one is running. Returns its sequence number. */
  committedNow(): number {
    this.committed++;
    this.kick();
    return this.committed;
  }

  /** Resolves once every commit made before this call (or up to `seq`) is on disk. */
  whenDurable(seq: number = this.committed): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (seq <= this.durable) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** Throws the sync failure, if one happened: nothing may be written after it. */
  assertHealthy(): void {
    if (this.failed) throw this.failed;
  }

  private kick(): void {
    if (this.inflight || this.failed || this.durable >= this.committed) return;
    let fd: number;
    try {
      // opened on first use: the -wal file exists once the first transaction has committed
      fd = this.fd ??= openSync(this.walPath, 'r');
    } catch (err) {
      this.fail(err);
      return;
    }
    const target = this.committed;
    this.inflight = true;
    this.syncs++;
    fdatasync(fd, (err) => {
      this.inflight = false;
      if (err) {
        this.fail(err);
        return;
      }
      this.durable = target;
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.seq <= target) w.resolve();
        else still.push(w);
      }
      this.waiters = still;
      this.kick();
    });
  }

  private fail(err: unknown): void {
    this.failed = new Error(
      `SQLite WAL ${this.walPath} could not be synced to disk; restart the server (SQLite recovers from its WAL): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
    for (const w of this.waiters) w.reject(this.failed);
    this.waiters = [];
  }

  /** Waits for the last commits to be durable, then lets go of the file. */
  async close(): Promise<void> {
    try {
      await this.whenDurable();
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
