/**
 * A portable dump of every table of a database (rows as JSON, binary columns as base64), written and
 * read with the plain drivers, for the release fixtures: pg_dump/mysqldump output is tied to the
 * server version that wrote it, this is not. Loading goes into tables that already exist (a schema
 * made by the release's own temporal-sql-tool) after checking that their columns match the dump.
 *
 * The schema bookkeeping rows (schema_version, schema_update_history, ...) are part of the dump; the
 * `db_name` they carry is the database the dump was taken from and is rewritten to the target's.
 */
import Database from 'better-sqlite3';
import { Client as PgClient, types as pgTypes } from 'pg';
import mysql from 'mysql2/promise';
import { basename } from 'node:path';
import { MYSQL, PG, type Engine } from './databases';

export type DumpValue = null | string | number | boolean | { base64: string };

export interface TableDump {
  columns: { name: string; type: string }[];
  rows: DumpValue[][];
}

export interface DatabaseDump {
  format: 'temporal-ts-table-dump/v1';
  engine: Engine;
  /** the database the rows came from (db_name in the bookkeeping tables) */
  sourceDatabase: string;
  tables: Record<string, TableDump>;
}

/** A connection that runs a query with positional parameters and answers plain rows. */
interface Conn {
  tables(): Promise<string[]>;
  columns(table: string): Promise<{ name: string; type: string }[]>;
  select(table: string, cols: string[]): Promise<unknown[][]>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  quote(name: string): string;
  placeholder(i: number): string;
  close(): Promise<void>;
}

/** `db`: the database name, or for SQLite the file. */
async function connect(engine: Engine, db: string): Promise<Conn> {
  if (engine === 'sqlite') {
    const d = new Database(db, { fileMustExist: true });
    return {
      tables: async () =>
        (d.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map(
          (r) => r.name,
        ),
      columns: async (t) =>
        (d.prepare(`PRAGMA table_info(${JSON.stringify(t)})`).all() as { name: string; type: string }[]).map((c) => ({
          name: c.name,
          type: c.type.toLowerCase(),
        })),
      select: async (t, cols) =>
        d
          .prepare(`SELECT ${cols.map((c) => JSON.stringify(c)).join(', ')} FROM ${JSON.stringify(t)}`)
          .raw()
          .all() as unknown[][],
      exec: async (sql, params = []) => void d.prepare(sql).run(...params),
      quote: (n) => JSON.stringify(n),
      placeholder: () => '?',
      close: async () => void d.close(),
    };
  }
  if (engine === 'postgres12') {
    // text as stored for json/jsonb and timestamps: the dump must not depend on the time zone
    const raw = (v: string) => v;
    const c = new PgClient({
      ...PG,
      database: db,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          [114, 3802, 1114, 1184, 1082].includes(oid) ? raw : pgTypes.getTypeParser(oid, format ?? 'text')) as typeof pgTypes.getTypeParser,
      },
    });
    await c.connect();
    return {
      tables: async () =>
        (
          await c.query<{ t: string }>(
            `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
          )
        ).rows.map((r) => r.t),
      columns: async (t) =>
        (
          await c.query<{ n: string; ty: string }>(
            `SELECT column_name AS n, data_type AS ty FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
            [t],
          )
        ).rows.map((r) => ({ name: r.n, type: r.ty })),
      select: async (t, cols) => (await c.query({ text: `SELECT ${cols.map((x) => `"${x}"`).join(', ')} FROM "${t}"`, rowMode: 'array' })).rows as unknown[][],
      exec: async (sql, params = []) => void (await c.query(sql, params)),
      quote: (n) => `"${n}"`,
      placeholder: (i) => `$${i}`,
      close: () => c.end(),
    };
  }
  const c = await mysql.createConnection({ ...MYSQL, database: db, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, timezone: 'Z' });
  return {
    tables: async () =>
      (
        (
          await c.query(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1`)
        )[0] as { t: string }[]
      ).map((r) => r.t),
    columns: async (t) =>
      (
        (
          await c.query(
            `SELECT column_name AS n, column_type AS ty FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`,
            [t],
          )
        )[0] as { n: string; ty: string }[]
      ).map((r) => ({ name: r.n, type: r.ty.toLowerCase() })),
    select: async (t, cols) => (await c.query({ sql: `SELECT ${cols.map((x) => `\`${x}\``).join(', ')} FROM \`${t}\``, rowsAsArray: true }))[0] as unknown[][],
    exec: async (sql, params = []) => void (await c.query(sql, params)),
    quote: (n) => `\`${n}\``,
    placeholder: () => '?',
    close: () => c.end(),
  };
}

function encode(v: unknown, where: string): DumpValue {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { base64: v.toString('base64') };
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new Error(`${where}: cannot dump a value of type ${Object.prototype.toString.call(v)}`);
}

const decode = (v: DumpValue): unknown => (v !== null && typeof v === 'object' ? Buffer.from(v.base64, 'base64') : v);

/** Every table of `db` with its rows, in a stable order. */
export async function dumpDatabase(engine: Engine, db: string): Promise<DatabaseDump> {
  const c = await connect(engine, db);
  try {
    const tables: Record<string, TableDump> = {};
    for (const t of await c.tables()) {
      const columns = await c.columns(t);
      const rows = (
        await c.select(
          t,
          columns.map((x) => x.name),
        )
      ).map((r) => r.map((v, i) => encode(v, `${t}.${columns[i]!.name}`)));
      rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      tables[t] = { columns, rows };
    }
    return { format: 'temporal-ts-table-dump/v1', engine, sourceDatabase: engine === 'sqlite' ? basename(db) : db, tables };
  } finally {
    await c.close();
  }
}

/**
 * Loads `dump` into `db`, whose tables must already exist with the same columns. Rows already in a
 * dumped table (those the schema tool wrote) are deleted first, in one transaction with the inserts.
 */
export async function loadDatabase(engine: Engine, db: string, dump: DatabaseDump): Promise<void> {
  if (dump.format !== 'temporal-ts-table-dump/v1') throw new Error(`unknown dump format ${String(dump.format)}`);
  if (dump.engine !== engine) throw new Error(`a dump of ${dump.engine} cannot be loaded into ${engine}`);
  const target = engine === 'sqlite' ? basename(db) : db;
  const c = await connect(engine, db);
  try {
    const existing = new Set(await c.tables());
    const missing = Object.keys(dump.tables).filter((t) => !existing.has(t));
    if (missing.length > 0)
      throw new Error(`database ${db} lacks the dumped table(s) ${missing.join(', ')}: was its schema made by the release that made the dump?`);
    await c.exec(engine === 'mysql8' ? 'START TRANSACTION' : 'BEGIN');
    for (const [t, td] of Object.entries(dump.tables)) {
      const cols = (await c.columns(t)).map((x) => x.name);
      const want = td.columns.map((x) => x.name);
      if (cols.join(',') !== want.join(','))
        throw new Error(`table ${t} of ${db} has columns (${cols.join(', ')}), the dump has (${want.join(', ')}): schema mismatch`);
      await c.exec(`DELETE FROM ${c.quote(t)}`);
      const dbNameAt = want.indexOf('db_name');
      for (const row of td.rows) {
        const values = row.map(decode);
        if (dbNameAt >= 0 && values[dbNameAt] === dump.sourceDatabase) values[dbNameAt] = target;
        await c.exec(
          `INSERT INTO ${c.quote(t)} (${want.map((x) => c.quote(x)).join(', ')}) VALUES (${want.map((_, i) => c.placeholder(i + 1)).join(', ')})`,
          values,
        );
      }
    }
    await c.exec('COMMIT');
  } catch (err) {
    await c.exec('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await c.close();
  }
}

/** The rows of the dump without the bookkeeping tables' db_name, for comparing two databases. */
export function comparableTables(dump: DatabaseDump): Record<string, DumpValue[][]> {
  const out: Record<string, DumpValue[][]> = {};
  for (const [t, td] of Object.entries(dump.tables)) {
    const at = td.columns.findIndex((x) => x.name === 'db_name');
    out[t] = td.rows.map((r) => r.map((v, i) => (i === at ? '<db_name>' : v)));
  }
  return out;
}
