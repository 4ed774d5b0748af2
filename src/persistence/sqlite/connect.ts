/**
 * Opens the SQLite connection the stores run on (better-sqlite3), with the durability settings of a
 * server: WAL with synchronous=FULL by default (every COMMIT fsyncs the WAL; group commit makes that
 * one fsync per batch). connectAttributes `synchronous=NORMAL` is accepted: in WAL mode it is durable
 * against a crash of the process (kill -9: the WAL is in the OS page cache and is replayed) but the
 * last commits can be lost on an OS crash or power loss. The schema tool opens its own (admin.ts).
 */
import Database from 'better-sqlite3';
import type { SqlConnectConfig } from '../sql-config';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export function connectSqlite(path: string, synchronous: SqliteSynchronous = 'FULL'): Database.Database {
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error(`sqlite synchronous must be FULL or NORMAL (with WAL), not ${String(synchronous)}`);
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  return db;
}

/** The connection a config describes: the file is databaseName, connectAttributes.synchronous FULL (default) or NORMAL. */
export function connectSqliteConfig(cfg: SqlConnectConfig): Database.Database {
  return connectSqlite(cfg.databaseName, (cfg.connectAttributes?.synchronous?.toUpperCase() ?? 'FULL') as SqliteSynchronous);
}
