/**
 * Describes the user tables of a test database in a normalised, sorted shape, so that two databases
 * built by different paths (setup + update through every version, or the full schema.sql) can be
 * compared with one deepEqual.
 *
 * Columns are sorted by name: ALTER TABLE ADD COLUMN appends, so column order is not part of the shape.
 * Primary key columns keep their key order. Indexes other than the primary key are listed by name.
 * The schema tool's bookkeeping tables and SQLite's internal tables are left out.
 */
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { type Engine, MYSQL, PG } from './databases';

export interface ColumnShape {
  name: string;
  /** engine type, lower case, with length (and collation for MySQL text columns) */
  type: string;
  nullable: boolean;
  default: string | null;
}

export interface IndexShape {
  name: string;
  /** key columns or expressions, in key order */
  columns: string[];
  unique: boolean;
  /** btree, gin, fulltext, ... (empty where the engine does not say) */
  method: string;
}

export interface TableShape {
  name: string;
  columns: ColumnShape[];
  primaryKey: string[];
  indexes: IndexShape[];
  /** engine-specific table options, e.g. MySQL engine and collation */
  options: Record<string, string>;
}

export interface SchemaShape {
  engine: Engine;
  tables: TableShape[];
}

export const BOOKKEEPING_TABLES: readonly string[] = ['schema_version', 'schema_update_history', 'schema_update_checkpoint'];

function isUserTable(name: string): boolean {
  const n = name.toLowerCase();
  return !BOOKKEEPING_TABLES.includes(n) && !n.startsWith('sqlite_');
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function finish(engine: Engine, tables: TableShape[]): SchemaShape {
  for (const t of tables) {
    t.columns.sort(byName);
    t.indexes.sort(byName);
  }
  tables.sort(byName);
  return { engine, tables };
}

/** The shape of database `dbName` (for sqlite: the file path). */
export async function introspect(engine: Engine, dbName: string): Promise<SchemaShape> {
  switch (engine) {
    case 'sqlite':
      return introspectSqlite(dbName);
    case 'postgres12':
      return introspectPostgres(dbName);
    case 'mysql8':
      return introspectMysql(dbName);
  }
}

function introspectSqlite(file: string): SchemaShape {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[])
      .map((r) => r.name)
      .filter(isUserTable);
    const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
    const tables = names.map((name): TableShape => {
      const cols = db.pragma(`table_info(${q(name)})`) as {
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
      }[];
      const columns = cols.map((c) => ({
        name: c.name,
        type: c.type.toLowerCase(),
        // SQLite lets primary key columns of a rowid table hold NULL unless declared NOT NULL: report what is declared.
        nullable: c.notnull === 0,
        default: c.dflt_value,
      }));
      const primaryKey = cols
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      const list = db.pragma(`index_list(${q(name)})`) as { name: string; unique: number; origin: string; partial: number }[];
      const indexes = list
        .filter((ix) => ix.origin !== 'pk')
        .map((ix): IndexShape => {
          const info = (db.pragma(`index_xinfo(${q(ix.name)})`) as { seqno: number; cid: number; name: string | null; desc: number; key: number }[])
            .filter((c) => c.key === 1)
            .sort((a, b) => a.seqno - b.seqno);
          const sql = (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`).get(ix.name) as { sql: string | null } | undefined)?.sql;
          return {
            name: ix.name,
            columns: info.map((c) => (c.cid === -2 ? `expr:${sql ?? ''}` : `${c.name ?? ''}${c.desc ? ' desc' : ''}`)),
            unique: ix.unique === 1,
            method: ix.partial ? 'partial' : '',
          };
        });
      const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*$/i.test(
        (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) as { sql: string }).sql.trim(),
      );
      return { name, columns, primaryKey, indexes, options: withoutRowid ? { withoutRowid: 'true' } : {} };
    });
    return finish('sqlite', tables);
  } finally {
    db.close();
  }
}

async function introspectPostgres(dbName: string): Promise<SchemaShape> {
  const c = new PgClient({ ...PG, database: dbName });
  await c.connect();
  try {
    const tableRows = (
      await c.query<{ oid: number; name: string }>(
        `SELECT c.oid::int AS oid, c.relname AS name
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
          ORDER BY c.relname`,
      )
    ).rows.filter((r) => isUserTable(r.name));
    const tables: TableShape[] = [];
    for (const t of tableRows) {
      const cols = await c.query<{ name: string; type: string; notnull: boolean; def: string | null }>(
        `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
                pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS def
           FROM pg_catalog.pg_attribute a
           LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
        [t.oid],
      );
      const idx = await c.query<{ name: string; primary: boolean; unique: boolean; method: string; columns: string[] }>(
        `SELECT ic.relname AS name, i.indisprimary AS primary, i.indisunique AS unique, am.amname AS method,
                ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS columns
           FROM pg_catalog.pg_index i
           JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_catalog.pg_am am ON am.oid = ic.relam
          WHERE i.indrelid = $1`,
        [t.oid],
      );
      const pk = idx.rows.find((r) => r.primary);
      tables.push({
        name: t.name,
        columns: cols.rows.map((r) => ({ name: r.name, type: r.type, nullable: !r.notnull, default: r.def })),
        primaryKey: pk ? pk.columns : [],
        indexes: idx.rows.filter((r) => !r.primary).map((r) => ({ name: r.name, columns: r.columns, unique: r.unique, method: r.method })),
        options: {},
      });
    }
    return finish('postgres12', tables);
  } finally {
    await c.end();
  }
}

async function introspectMysql(dbName: string): Promise<SchemaShape> {
  const c = await mysql.createConnection({ ...MYSQL, database: dbName });
  try {
    const [tableRows] = await c.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
      [dbName],
    );
    const [colRows] = await c.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
              COLUMN_DEFAULT AS def, COLLATION_NAME AS collation
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`,
      [dbName],
    );
    const [statRows] = await c.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, SEQ_IN_INDEX AS seq,
              COLUMN_NAME AS col, SUB_PART AS subPart, INDEX_TYPE AS method
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?`,
      [dbName],
    );
    const tables: TableShape[] = [];
    for (const t of tableRows) {
      const name = String(t.name);
      if (!isUserTable(name)) continue;
      const columns = colRows
        .filter((r) => r.tbl === name)
        .map((r) => {
          // MySQL 8 says "bigint", MariaDB "bigint(20)": drop integer display widths (not tinyint(1), the BOOLEAN).
          const type = String(r.type)
            .toLowerCase()
            .replace(/^(smallint|mediumint|int|bigint)\(\d+\)/, '$1');
          // MariaDB reports a missing default as the string 'NULL', MySQL as SQL NULL.
          const def = r.def === null || r.def === 'NULL' ? null : String(r.def);
          return {
            name: String(r.name),
            type: r.collation ? `${type} collate ${String(r.collation)}` : type,
            nullable: r.nullable === 'YES',
            default: def,
          };
        });
      const groups = new Map<string, { seq: number; col: string; nonUnique: number; method: string }[]>();
      for (const r of statRows.filter((r) => r.tbl === name)) {
        const list = groups.get(String(r.name)) ?? [];
        list.push({
          seq: Number(r.seq),
          col: r.subPart === null ? String(r.col) : `${String(r.col)}(${String(r.subPart)})`,
          nonUnique: Number(r.nonUnique),
          method: String(r.method).toLowerCase(),
        });
        groups.set(String(r.name), list);
      }
      let primaryKey: string[] = [];
      const indexes: IndexShape[] = [];
      for (const [ixName, parts] of groups) {
        parts.sort((a, b) => a.seq - b.seq);
        const cols = parts.map((p) => p.col);
        if (ixName === 'PRIMARY') primaryKey = cols;
        else indexes.push({ name: ixName, columns: cols, unique: parts[0]?.nonUnique === 0, method: parts[0]?.method ?? '' });
      }
      tables.push({
        name,
        columns,
        primaryKey,
        indexes,
        options: { engine: String(t.engine), collation: String(t.collation) },
      });
    }
    return finish('mysql8', tables);
  } finally {
    await c.end();
  }
}
