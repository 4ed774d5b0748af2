/**
 * The bookkeeping half of SchemaAdminDB, written once for every SQL plugin: schema_version,
 * schema_update_history (in the Go tool's format) and schema_update_checkpoint, over a `rows()`
 * primitive with `?` placeholders and a small dialect (how to begin a transaction, time column type,
 * table options, "now" in UTC, the upsert clause), and the transaction around a version. Each plugin's admin.ts adds what really differs: connecting,
 * transactions, locks, listing tables, error codes. Nothing here knows versions or directories.
 */
import { type HistoryRow, type SchemaAdminDB, type StoredVersion, nextUpdateTime } from './schema-admin';
import type { SqlConnectConfig, SqlPluginName } from './sql-config';

export interface BookkeepingDialect {
  /** Starts a transaction (SQLite: IMMEDIATE, so a second writer waits instead of failing later). */
  readonly begin: string;
  /** Column type of creation_time, update_time and applied_time. */
  readonly timeType: string;
  /** Appended to each CREATE TABLE (MySQL: engine and character set). */
  readonly tableOptions: string;
  /** The current UTC time as an SQL expression. */
  readonly utcNow: string;
  /** What follows `INSERT INTO schema_version (…) VALUES (…)` to make it an upsert. */
  readonly upsertVersion: string;
}

/** The upsert of schema_version where the engine has ON CONFLICT (PostgreSQL, SQLite). */
export const ON_CONFLICT_UPSERT =
  'ON CONFLICT (version_partition, db_name) DO UPDATE SET creation_time = excluded.creation_time, curr_version = excluded.curr_version, min_compatible_version = excluded.min_compatible_version';

/** A dialect from what differs from PostgreSQL's: BEGIN, TIMESTAMP, no table options, ON CONFLICT. */
export function bookkeepingDialect(d: Pick<BookkeepingDialect, 'utcNow'> & Partial<BookkeepingDialect>): BookkeepingDialect {
  return { begin: 'BEGIN', timeType: 'TIMESTAMP', tableOptions: '', upsertVersion: ON_CONFLICT_UPSERT, ...d };
}

export type Row = Record<string, unknown>;

const text = (v: unknown): string => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v as string | number));

/** How messages name a database on a server: `postgres12 database "temporal" at localhost:5432`. */
export function serverLabel(cfg: SqlConnectConfig): string {
  return `${cfg.pluginName} database "${cfg.databaseName}" at ${cfg.host}:${cfg.port}`;
}

export abstract class SqlSchemaAdmin implements SchemaAdminDB {
  abstract readonly plugin: SqlPluginName;
  abstract readonly transactionalDdl: boolean;
  protected abstract readonly dialect: BookkeepingDialect;

  constructor(
    readonly dbName: string,
    readonly label: string,
  ) {}

  /** Runs one statement with `?` placeholders; the rows it returns (none for a statement without). */
  protected abstract rows(sql: string, params?: readonly unknown[]): Promise<Row[]>;

  abstract exec(sql: string): Promise<void>;
  abstract listTables(): Promise<string[]>;
  abstract listColumns(): Promise<Map<string, string[]>>;
  abstract requiresAutocommit(sql: string): boolean;
  abstract commitsWithCheckpoint(sql: string): boolean;
  abstract isAlreadyAppliedError(err: unknown): boolean;
  abstract invalidIndexes(): Promise<string[]>;
  abstract lock(onWait: (holder: string) => void): Promise<void>;
  abstract unlock(): Promise<void>;
  abstract dropAllTables(): Promise<void>;
  abstract close(): Promise<void>;

  /** The db_name of this database's rows. SQLite overrides it to find a row Go's tool keyed differently. */
  protected versionKey(): Promise<string> {
    return Promise.resolve(this.dbName);
  }

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.exec(this.dialect.begin);
    try {
      const r = await fn();
      await this.exec('COMMIT');
      return r;
    } catch (err) {
      // Nothing to roll back when the engine already ended the transaction.
      await this.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  protected async hasTable(name: string): Promise<boolean> {
    return (await this.listTables()).includes(name);
  }

  private createTable(name: string, columns: string): Promise<Row[]> {
    return this.rows(`CREATE TABLE IF NOT EXISTS ${name} (${columns})${this.dialect.tableOptions}`);
  }

  async createVersionTables(): Promise<void> {
    const t = this.dialect.timeType;
    await this.createTable(
      'schema_version',
      `version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, creation_time ${t}, curr_version VARCHAR(64), min_compatible_version VARCHAR(64), PRIMARY KEY (version_partition, db_name)`,
    );
    await this.createTable(
      'schema_update_history',
      `version_partition INT NOT NULL, year INT NOT NULL, month INT NOT NULL, update_time ${t} NOT NULL, description VARCHAR(255), manifest_md5 VARCHAR(64), new_version VARCHAR(64), old_version VARCHAR(64), PRIMARY KEY (version_partition, year, month, update_time)`,
    );
  }

  async readVersion(): Promise<StoredVersion | undefined> {
    if (!(await this.hasTable('schema_version'))) return undefined;
    const r = await this.rows(`SELECT curr_version AS c, min_compatible_version AS m FROM schema_version WHERE version_partition = 0 AND db_name = ?`, [
      await this.versionKey(),
    ]);
    const row = r[0];
    return row ? { currVersion: text(row.c), minCompatibleVersion: text(row.m) } : undefined;
  }

  async listVersionDbNames(): Promise<string[]> {
    if (!(await this.hasTable('schema_version'))) return [];
    return (await this.rows(`SELECT db_name AS d FROM schema_version ORDER BY 1`)).map((x) => text(x.d));
  }

  async writeVersion(curr: string, minCompat: string): Promise<void> {
    await this.rows(
      `INSERT INTO schema_version (version_partition, db_name, creation_time, curr_version, min_compatible_version) VALUES (0, ?, ${this.dialect.utcNow}, ?, ?) ${this.dialect.upsertVersion}`,
      [await this.versionKey(), curr, minCompat],
    );
  }

  async readHistory(): Promise<HistoryRow[]> {
    if (!(await this.hasTable('schema_update_history'))) return [];
    const r = await this.rows(
      `SELECT update_time AS t, old_version AS o, new_version AS n, manifest_md5 AS m, description AS d FROM schema_update_history WHERE version_partition = 0 ORDER BY update_time`,
    );
    return r.map((x) => ({ updateTime: text(x.t), oldVersion: text(x.o), newVersion: text(x.n), manifestMd5: text(x.m), description: text(x.d) }));
  }

  async writeHistory(oldVersion: string, newVersion: string, md5: string, description: string): Promise<void> {
    const t = nextUpdateTime();
    await this.rows(
      `INSERT INTO schema_update_history (version_partition, year, month, update_time, old_version, new_version, manifest_md5, description) VALUES (0, ?, ?, ?, ?, ?, ?, ?)`,
      [t.year, t.month, t.text, oldVersion, newVersion, md5, description.slice(0, 255)],
    );
  }

  async createCheckpointTable(): Promise<void> {
    await this.createTable(
      'schema_update_checkpoint',
      `version_partition INT NOT NULL, db_name VARCHAR(255) NOT NULL, new_version VARCHAR(64) NOT NULL, statement_index INT NOT NULL, statement_md5 VARCHAR(64) NOT NULL, applied_time ${this.dialect.timeType} NOT NULL, PRIMARY KEY (version_partition, db_name, new_version, statement_index)`,
    );
  }

  async readCheckpoints(version: string): Promise<Map<number, string>> {
    if (!(await this.hasTable('schema_update_checkpoint'))) return new Map();
    const r = await this.rows(
      `SELECT statement_index AS i, statement_md5 AS m FROM schema_update_checkpoint WHERE version_partition = 0 AND db_name = ? AND new_version = ?`,
      [await this.versionKey(), version],
    );
    return new Map(r.map((x) => [Number(x.i), text(x.m)]));
  }

  async writeCheckpoint(version: string, index: number, md5: string): Promise<void> {
    await this.rows(
      `INSERT INTO schema_update_checkpoint (version_partition, db_name, new_version, statement_index, statement_md5, applied_time) VALUES (0, ?, ?, ?, ?, ${this.dialect.utcNow})`,
      [await this.versionKey(), version, index, md5],
    );
  }

  async clearCheckpoints(version: string): Promise<void> {
    if (!(await this.hasTable('schema_update_checkpoint'))) return;
    await this.rows(`DELETE FROM schema_update_checkpoint WHERE version_partition = 0 AND db_name = ? AND new_version = ?`, [await this.versionKey(), version]);
  }
}
