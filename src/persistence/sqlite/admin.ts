/**
 * SQLite side of the schema engine. The database is a file (or ":memory:"); DDL is transactional,
 * so each version is one `BEGIN IMMEDIATE` transaction. Two runs against one file are kept apart by
 * a lock file beside it (`<file>.schema-lock`, holding the owner's pid and host); a lock left by a
 * process that no longer exists on this host is taken over. The bookkeeping tables are written by
 * SqlSchemaAdmin, keyed by the db_name Go's tool or temporal-ts wrote (sqliteVersionKey).
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { type DatabaseAdmin } from '../schema-admin';
import { type Row, SqlSchemaAdmin, bookkeepingDialect } from '../sql-schema-admin';
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

/**
 * The db_name that keys a SQLite file's schema_version row. The file is the database, so the rows
 * inside it can only describe that file; Temporal's Go tool keys its row by --db exactly as typed
 * ("./data/temporal.db"), temporal-ts by the file's base name ("temporal.db"). The row is found by,
 * in order: --db as typed, the base name, the one row whose name has the same base name. With none,
 * a new row gets the base name.
 */
export function sqliteVersionKey(typed: string, existing: readonly string[]): string {
  const base = sqliteDbName(typed);
  if (existing.includes(typed)) return typed;
  if (existing.includes(base)) return base;
  const same = existing.filter((name) => basename(name) === base);
  if (same.length > 1) {
    throw new SqliteOpenError(`schema_version of ${typed} has rows for ${same.map((n) => `"${n}"`).join(' and ')}; pass --db exactly as one of them`);
  }
  return same[0] ?? base;
}

export class SqliteAdminDB extends SqlSchemaAdmin {
  readonly plugin = 'sqlite' as const;
  readonly transactionalDdl = true;
  protected readonly dialect = bookkeepingDialect({ begin: 'BEGIN IMMEDIATE', utcNow: "strftime('%Y-%m-%d %H:%M:%f', 'now')" });
  private lockFile: string | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    super(sqliteDbName(file), `sqlite database ${file}`);
  }

  static async open(cfg: SqlConnectConfig): Promise<SqliteAdminDB> {
    return new SqliteAdminDB(openSqlite(cfg.databaseName, { mustExist: true }), cfg.databaseName);
  }

  protected override async versionKey(): Promise<string> {
    return sqliteVersionKey(this.file, await this.listVersionDbNames());
  }

  protected async rows(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const st = this.db.prepare(sql);
    if (st.reader) return st.all(...params) as Row[];
    st.run(...params);
    return [];
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async listTables(): Promise<string[]> {
    return (await this.rows(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1`)).map((r) => String(r.name));
  }

  async listColumns(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const t of await this.listTables())
      out.set(
        t,
        (await this.rows(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, [t])).map((r) => String(r.name)),
      );
    return out;
  }

  requiresAutocommit(): boolean {
    return false;
  }

  commitsWithCheckpoint(): boolean {
    return true; // never asked: every version is one transaction
  }

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
