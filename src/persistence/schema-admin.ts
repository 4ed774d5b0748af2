/**
 * The admin contract between the schema engine (src/schema: setup-schema, update-schema, plan, the
 * server's startup check) and each SQL plugin (src/persistence/<plugin>/admin.ts). It lives in
 * persistence, the lower layer: plugins implement it and src/schema uses it, never the reverse.
 *
 * The bookkeeping tables keep the names, columns and meaning of Temporal's Go tool
 * (`schema_version`, `schema_update_history`) so either tool can upgrade a database the other one
 * made; `schema_update_checkpoint` is ours, used only where a version cannot run inside one
 * transaction (MySQL DDL, PostgreSQL's CONCURRENTLY), so that a re-run resumes after the last
 * statement that took effect.
 */
import type { SqlPluginName } from './sql-config';

export interface StoredVersion {
  readonly currVersion: string;
  readonly minCompatibleVersion: string;
}

export interface HistoryRow {
  readonly updateTime: string;
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly manifestMd5: string;
  readonly description: string;
}

/** The names of the bookkeeping tables; they are never part of a store's own schema. */
export const BOOKKEEPING_TABLES: readonly string[] = ['schema_version', 'schema_update_history', 'schema_update_checkpoint'];

export interface SchemaAdminDB {
  readonly plugin: SqlPluginName;
  /** The `db_name` key of schema_version rows. */
  readonly dbName: string;
  /** A description for messages, e.g. "postgres12 database temporal at localhost:5432". */
  readonly label: string;
  /** True when DDL can be rolled back (PostgreSQL, SQLite): one transaction per version. */
  readonly transactionalDdl: boolean;

  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction. Where DDL is not transactional (MySQL) a DDL statement inside
   * commits on its own (see `transactionalDdl`); data changes still commit or roll back together.
   */
  inTransaction<T>(fn: () => Promise<T>): Promise<T>;

  /** User tables of the database (bookkeeping tables included). */
  listTables(): Promise<string[]>;
  /** Every table of the database with its column names. */
  listColumns(): Promise<Map<string, string[]>>;
  createVersionTables(): Promise<void>;
  /** undefined when the schema_version table or this database's row does not exist. */
  readVersion(): Promise<StoredVersion | undefined>;
  /** The db_name values that have a schema_version row (to explain a missing row). */
  listVersionDbNames(): Promise<string[]>;
  writeVersion(currVersion: string, minCompatibleVersion: string): Promise<void>;
  readHistory(): Promise<HistoryRow[]>;
  writeHistory(oldVersion: string, newVersion: string, manifestMd5: string, description: string): Promise<void>;

  /**
   * True for a statement the engine refuses inside a transaction (PostgreSQL's CREATE INDEX
   * CONCURRENTLY, used by Temporal's own visibility v1.13): its version then runs statement by
   * statement with checkpoints, as on MySQL.
   */
  requiresAutocommit(sql: string): boolean;
  /**
   * In a version that runs statement by statement: true when this statement and its checkpoint can
   * commit in one transaction, so that a re-run after a crash can never apply it twice (MySQL: data
   * changes, which InnoDB keeps transactional; PostgreSQL: all but the autocommit ones).
   */
  commitsWithCheckpoint(sql: string): boolean;
  createCheckpointTable(): Promise<void>;
  /**
   * statement index → md5 of the statement text, for statements of `version` that took effect;
   * index -1 marks that a run of the version started. Empty when the table does not exist.
   */
  readCheckpoints(version: string): Promise<Map<number, string>>;
  writeCheckpoint(version: string, statementIndex: number, statementMd5: string): Promise<void>;
  clearCheckpoints(version: string): Promise<void>;
  /** True for "already exists" / "duplicate column" style errors of a DDL statement that ran before. */
  isAlreadyAppliedError(err: unknown): boolean;
  /**
   * Indexes the engine keeps but does not use: PostgreSQL leaves one INVALID when a CREATE INDEX
   * CONCURRENTLY fails or is interrupted, and IF NOT EXISTS (or a resumed run) then skips it. Empty
   * on engines without the notion.
   */
  invalidIndexes(): Promise<string[]>;

  /**
   * Takes the schema lock of this database for the whole run, so two runs never interleave. When
   * another run holds it, `onWait` is told who, and the call waits until it is free.
   */
  lock(onWait: (holder: string) => void): Promise<void>;
  unlock(): Promise<void>;

  /** Drops every table of the database (setup-schema --overwrite). */
  dropAllTables(): Promise<void>;
  close(): Promise<void>;
}

/** Database-level operations that connect to a maintenance database rather than the target. */
export interface DatabaseAdmin {
  createDatabase(name: string): Promise<'created' | 'exists'>;
  dropDatabase(name: string): Promise<'dropped' | 'absent'>;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, strictly increasing within this process (history key). */
let lastMicros = 0;
export function nextUpdateTime(): { text: string; year: number; month: number } {
  let micros = Date.now() * 1000;
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const d = new Date(Math.floor(micros / 1000));
  const pad = (v: number, w = 2) => String(v).padStart(w, '0');
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros % 1_000_000, 6)}`;
  return { text, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

export const SCHEMA_LOCK_NAME = 'temporal-sql-tool';
