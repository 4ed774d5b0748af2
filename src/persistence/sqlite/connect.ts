/**
 * Opens the SQLite connection the stores run on (better-sqlite3), with the durability settings of a
 * server. Always WAL. connectAttributes `synchronous`:
 *  - FULL (default): a write is acknowledged only once it is on disk. SQLite runs with
 *    synchronous=NORMAL and the WAL is fdatasync'ed off the event loop before anyone is answered
 *    (wal-sync.ts): FULL's guarantee without stopping the server for every fsync.
 *  - NORMAL: acknowledged after COMMIT, durable against a crash of the process (kill -9: the WAL is
 *    in the OS page cache and replayed) but the last commits can be lost on an OS crash or power loss.
 * Checkpoints run on a thread of their own (checkpointer.ts). The schema tool opens its own
 * connection (admin.ts).
 */
import Database from 'better-sqlite3';
import type { SqlConnectConfig } from '../sql-config';
import { Checkpointer } from './checkpointer';
import { WalSync } from './wal-sync';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** A server's connection and what keeps it durable and its WAL short. */
export interface SqliteConnection {
  db: Database.Database;
  /** absent for NORMAL and for in-memory databases */
  walSync: WalSync | undefined;
  /** absent for in-memory databases */
  checkpointer: Checkpointer | undefined;
}

export function connectSqlite(path: string, synchronous: SqliteSynchronous = 'FULL'): SqliteConnection {
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error(`sqlite synchronous must be FULL or NORMAL (with WAL), not ${String(synchronous)}`);
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  if (path === ':memory:') return { db, walSync: undefined, checkpointer: undefined };
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  // after a checkpoint that emptied it, the WAL file is cut back to this size
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  return { db, walSync: synchronous === 'FULL' ? new WalSync(`${path}-wal`) : undefined, checkpointer: new Checkpointer(path) };
}

/** The connection a config describes: the file is databaseName, connectAttributes.synchronous FULL (default) or NORMAL. */
export function connectSqliteConfig(cfg: SqlConnectConfig): SqliteConnection {
  return connectSqlite(cfg.databaseName, (cfg.connectAttributes?.synchronous?.toUpperCase() ?? 'FULL') as SqliteSynchronous);
}
