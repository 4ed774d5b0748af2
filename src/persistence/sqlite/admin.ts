/**
 * SQLite side of the schema engine. The database is a file (or ":memory:"); DDL is transactional,
 * so each version is one `BEGIN IMMEDIATE` transaction. Two runs against one file are kept apart by a
 * lock file beside it (`<file>.schema-lock`, holding the owner's pid and host); a lock left by a
 * process that no longer exists on this host is taken over.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { type DatabaseAdmin, type HistoryRow, type SchemaAdminDB, type StoredVersion, nextUpdateTime } from '../../schema/admin-db';
import { type SqlConnectConfig } from '../sql-config';

export class SqliteOpenError extends Error {
  override name = 'SqliteOpenError';
}

export function sqliteDbName(file: string): string {
  return file === ':memory:' ? 'memory' : basename(file);
}

export function openSqlite(file: string, opts: { mustExist?: boolean } = {}): Database.Database {
  if (file !== ':memory:' && !existsSync(dirname(file) || '.')) {
    throw new SqliteOpenError(`cannot open SQLite database ${file}: the directory ${dirname(file)} does not exist`);
  }
  if (opts.mustExist && file !== ':memory:' && !existsSync(file)) {
    throw new SqliteOpenError(`SQLite database ${file} does not exist; create it first: temporal-sql-tool --pl sqlite --db ${file} create-database`);
  }
  try {
    const db = new Database(file, { fileMustExist: Boolean(opts.mustExist) && file !== ':memory:' });
    db.pragma('busy_timeout = 30000');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    return db;
  } catch (err) {
    throw new SqliteOpenError(`cannot open SQLite database ${file}: ${(err as Error).message}`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SqliteAdminDB implements SchemaAdminDB {
  readonly plugin = 'sqlite' as const;
  readonly transactionalDdl = true;
  readonly label: string;
  readonly dbName: string;
  private lockFile: string | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    this.dbName = sqliteDbName(file);
    this.label = `sqlite database ${file}`;
  }

  static async open(cfg: SqlConnectConfig): Promise<SqliteAdminDB> {
    return new SqliteAdminDB(openSqlite(cfg.databaseName, { mustExist: true }), cfg.databaseName);
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = await fn();
      this.db.exec('COMMIT');
      return r;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async listTables(): Promise<string[]> {
    return (this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`).all() as { name: string }[]).map(
      (r) => r.name,
    );
  }

  async createVersionTables(): Promise<void> {
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS schema_version (version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, creation_time TIMESTAMP, curr_version VARCHAR(64), min_compatible_version VARCHAR(64), PRIMARY KEY (version_partition, db_name))`,
    );
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS schema_update_history (version_partition INT NOT NULL, year INT NOT NULL, month INT NOT NULL, update_time TIMESTAMP NOT NULL, description VARCHAR(255), manifest_md5 VARCHAR(64), new_version VARCHAR(64), old_version VARCHAR(64), PRIMARY KEY (version_partition, year, month, update_time))`,
    );
  }

  private hasTable(name: string): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  }

  async readVersion(): Promise<StoredVersion | undefined> {
    if (!this.hasTable('schema_version')) return undefined;
    const row = this.db
      .prepare(`SELECT curr_version AS c, min_compatible_version AS m FROM schema_version WHERE version_partition = 0 AND db_name = ?`)
      .get(this.dbName) as { c: string; m: string } | undefined;
    return row ? { currVersion: row.c, minCompatibleVersion: row.m } : undefined;
  }

  async listVersionDbNames(): Promise<string[]> {
    if (!this.hasTable('schema_version')) return [];
    return (this.db.prepare(`SELECT db_name AS d FROM schema_version ORDER BY 1`).all() as { d: string }[]).map((r) => r.d);
  }

  async writeVersion(curr: string, minCompat: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO schema_version (version_partition, db_name, creation_time, curr_version, min_compatible_version) VALUES (0, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'), ?, ?)
         ON CONFLICT (version_partition, db_name) DO UPDATE SET creation_time = excluded.creation_time, curr_version = excluded.curr_version, min_compatible_version = excluded.min_compatible_version`,
      )
      .run(this.dbName, curr, minCompat);
  }

  async readHistory(): Promise<HistoryRow[]> {
    if (!this.hasTable('schema_update_history')) return [];
    const rows = this.db
      .prepare(
        `SELECT update_time AS t, old_version AS o, new_version AS n, manifest_md5 AS m, description AS d FROM schema_update_history WHERE version_partition = 0 ORDER BY update_time`,
      )
      .all() as { t: string; o: string; n: string; m: string | null; d: string | null }[];
    return rows.map((x) => ({ updateTime: x.t, oldVersion: x.o, newVersion: x.n, manifestMd5: x.m ?? '', description: x.d ?? '' }));
  }

  async writeHistory(oldVersion: string, newVersion: string, md5: string, description: string): Promise<void> {
    const t = nextUpdateTime();
    this.db
      .prepare(
        `INSERT INTO schema_update_history (version_partition, year, month, update_time, old_version, new_version, manifest_md5, description) VALUES (0, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(t.year, t.month, t.text, oldVersion, newVersion, md5, description.slice(0, 255));
  }

  requiresAutocommit(): boolean {
    return false;
  }

  async createCheckpointTable(): Promise<void> {
    /* Not needed: a version's statements commit or roll back together. */
  }
  async readCheckpoints(): Promise<Map<number, string>> {
    return new Map();
  }
  async writeCheckpoint(): Promise<void> {}
  async clearCheckpoints(): Promise<void> {}

  async invalidIndexes(): Promise<string[]> {
    return []; // indexes are built or not: no half-built state survives a failure
  }

  isAlreadyAppliedError(err: unknown): boolean {
    return /already exists|duplicate column/i.test((err as Error).message ?? '');
  }

  async lock(onWait: (holder: string) => void): Promise<void> {
    if (this.file === ':memory:') return;
    const lockFile = `${this.file}.schema-lock`;
    let told = false;
    for (;;) {
      try {
        const fd = openSync(lockFile, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
        closeSync(fd);
        this.lockFile = lockFile;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: { pid?: number; host?: string; since?: string } = {};
      try {
        holder = JSON.parse(readFileSync(lockFile, 'utf8')) as typeof holder;
      } catch {
        /* being written right now, or damaged: wait and look again */
      }
      if (holder.pid !== undefined && holder.host === hostname() && !processAlive(holder.pid)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (!told) {
        onWait(`process ${holder.pid ?? '?'} on ${holder.host ?? '?'} (since ${holder.since ?? '?'}; lock file ${lockFile})`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async unlock(): Promise<void> {
    if (this.lockFile) {
      try {
        unlinkSync(this.lockFile);
      } catch {
        /* already gone */
      }
      this.lockFile = undefined;
    }
  }

  async dropAllTables(): Promise<void> {
    const objs = this.db.prepare(`SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'`).all() as {
      type: string;
      name: string;
    }[];
    this.db.pragma('foreign_keys = OFF');
    for (const o of objs) this.db.exec(`DROP ${o.type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS "${o.name.replace(/"/g, '""')}"`);
  }

  async close(): Promise<void> {
    await this.unlock();
    this.db.close();
  }
}

export class SqliteDatabaseAdmin implements DatabaseAdmin {
  async createDatabase(file: string): Promise<'created' | 'exists'> {
    if (file === ':memory:') return 'exists';
    if (existsSync(file)) return 'exists';
    openSqlite(file).close();
    return 'created';
  }

  async dropDatabase(file: string): Promise<'dropped' | 'absent'> {
    if (file === ':memory:' || !existsSync(file)) return 'absent';
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
    return 'dropped';
  }
}
