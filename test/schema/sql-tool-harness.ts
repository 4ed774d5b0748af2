/**
 * Shared pieces of the temporal-sql-tool suites (sql-tool-*.test.ts): run the real CLI as a child
 * process from the repository root, make and drop real test databases, read what the tool wrote
 * (schema_version, schema_update_history, tables) and compare snapshots to prove that a refused
 * command changed nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { type Engine, MYSQL, PG, dropDatabase, toolConnectionFlags, uniqueDbName } from '../helpers/databases';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schema'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${start}`);
    dir = up;
  }
  return dir;
}
export const ROOT = findRepoRoot(__dirname);
export const TOOL = join(ROOT, 'bin', 'temporal-sql-tool.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'schema-dirs');
export const fixture = (name: string): string => join(FIXTURES, name);
export const GO_FORMAT_DIRS: Record<Engine, string> = {
  sqlite: fixture('go-format/sqlite/v3/temporal/versioned'),
  postgres12: fixture('go-format/postgresql/v12/temporal/versioned'),
  mysql8: fixture('go-format/mysql/v8/temporal/versioned'),
};

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** the command line, for assertion messages */
  cmd: string;
}

/** Environment for the tool: the parent's, minus every variable the tool would read as a flag. */
function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^SQL_/.test(k) || /^MYSQL_(SEEDS|PORT)$/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** called with the child once it is spawned (to kill it) */
  onSpawn?: (child: ChildProcess) => void;
  /** working directory (default: the repository root) */
  cwd?: string;
}

/** Runs `node bin/temporal-sql-tool.js <args>` from the repo root; stdin is not a terminal. */
export function runTool(args: readonly string[], opts: RunOptions = {}): Promise<ToolResult> {
  const cmd = `temporal-sql-tool ${args.map((a) => (/[\s"']/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TOOL, ...args], { cwd: opts.cwd ?? ROOT, env: toolEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, cmd });
    });
    opts.onSpawn?.(child);
  });
}

const describeResult = (r: ToolResult) => `${r.cmd}\n-- exit ${String(r.code)}${r.signal ? ` (${r.signal})` : ''}\n-- stdout:\n${r.stdout}\n-- stderr:\n${r.stderr}`;

/** Asserts exit 0 and returns the result. */
export function assertOk(r: ToolResult): ToolResult {
  assert.equal(r.code, 0, `expected success:\n${describeResult(r)}`);
  return r;
}

/** Asserts exit 1 with an `error: ` line on stderr matching every pattern. */
export function assertRefused(r: ToolResult, ...patterns: RegExp[]): ToolResult {
  assert.equal(r.code, 1, `expected exit 1:\n${describeResult(r)}`);
  assert.match(r.stderr, /^error: /m, `no "error:" line:\n${describeResult(r)}`);
  for (const p of patterns) assert.match(r.stderr, p, `stderr does not match ${String(p)}:\n${describeResult(r)}`);
  return r;
}

export const md5File = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');
export const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** A scratch directory under the OS temp dir, removed by `cleanup`. */
export function scratchDir(purpose: string): string {
  return mkdtempSync(join(tmpdir(), `tts-sqltool-${purpose}-`));
}

/** Copies a fixture dir into a fresh scratch dir and returns the copy's path. */
export function copyFixture(name: string): string {
  const to = join(scratchDir(name.replace(/[^a-z0-9]/gi, '_')), 'versioned');
  cpSync(fixture(name), to, { recursive: true });
  return to;
}

export interface VersionSpec {
  version: string;
  minCompatible?: string;
  description?: string;
  /** file name → SQL text; an empty object with allowNoFiles for a version bump */
  files: Record<string, string>;
  allowNoFiles?: boolean;
}

/** Writes a versioned dir (vX.Y/manifest.json + files) in Temporal's format. */
export function writeVersionedDir(root: string, versions: readonly VersionSpec[]): string {
  for (const v of versions) {
    const d = join(root, `v${v.version}`);
    mkdirSync(d, { recursive: true });
    const manifest: Record<string, unknown> = {
      CurrVersion: v.version,
      MinCompatibleVersion: v.minCompatible ?? '1.0',
      Description: v.description ?? `version ${v.version}`,
      SchemaUpdateCqlFiles: Object.keys(v.files),
    };
    if (v.allowNoFiles) manifest.AllowNoCqlFiles = true;
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const [name, sql] of Object.entries(v.files)) writeFileSync(join(d, name), sql);
  }
  return root;
}

type Row = Record<string, unknown>;

/** A database of one engine, made for one test and dropped afterwards. */
export class TestDb {
  readonly name: string;
  private constructor(readonly engine: Engine, name: string, private readonly scratch?: string) {
    this.name = name;
  }

  /** Names a new database (sqlite: a file in a scratch dir); nothing is created yet. */
  static named(engine: Engine, purpose: string): TestDb {
    if (engine === 'sqlite') {
      const dir = scratchDir(purpose);
      return new TestDb(engine, join(dir, `${purpose}.db`), dir);
    }
    return new TestDb(engine, uniqueDbName(`sqltool_${purpose}`));
  }

  /** A database made some other way (the test removes it). */
  static existing(engine: Engine, name: string): TestDb {
    return new TestDb(engine, name);
  }

  /** Names and creates a database through the tool's create-database. */
  static async create(engine: Engine, purpose: string): Promise<TestDb> {
    const db = TestDb.named(engine, purpose);
    assertOk(await db.tool(['create-database']));
    return db;
  }

  /** The global flags that point the tool at this database. */
  flags(): string[] {
    return toolConnectionFlags(this.engine, this.name);
  }

  /** Runs the tool with this database's connection flags before `args`. */
  tool(args: readonly string[], opts?: RunOptions): Promise<ToolResult> {
    return runTool([...this.flags(), ...args], opts);
  }

  async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    switch (this.engine) {
      case 'sqlite': {
        const d = new Database(this.name, { fileMustExist: true });
        try {
          d.pragma('busy_timeout = 10000');
          const st = d.prepare(sql);
          if (st.reader) return st.all(...params) as Row[];
          st.run(...params);
          return [];
        } finally {
          d.close();
        }
      }
      case 'postgres12': {
        const c = new PgClient({ ...PG, database: this.name });
        await c.connect();
        try {
          return (await c.query(sql.replace(/\?/g, (() => { let n = 0; return () => `$${++n}`; })()), params)).rows as Row[];
        } finally {
          await c.end();
        }
      }
      case 'mysql8': {
        const c = await mysql.createConnection({ ...MYSQL, database: this.name, dateStrings: true });
        try {
          const [rows] = await c.query(sql, params);
          return Array.isArray(rows) ? (rows as Row[]) : [];
        } finally {
          await c.end();
        }
      }
    }
  }

  /** User tables, sorted (bookkeeping tables included). */
  async tables(): Promise<string[]> {
    const sql = {
      sqlite: `SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
      postgres12: `SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()`,
      mysql8: `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
    }[this.engine];
    return (await this.query(sql)).map((r) => String(r.t)).sort();
  }

  async columns(table: string): Promise<string[]> {
    switch (this.engine) {
      case 'sqlite':
        return (await this.query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, [table])).map((r) => String(r.name));
      case 'postgres12':
        return (await this.query(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, [table])).map((r) => String(r.name));
      case 'mysql8':
        return (await this.query(`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [table])).map((r) => String(r.name));
    }
  }

  async hasTable(table: string): Promise<boolean> {
    return (await this.tables()).includes(table);
  }

  /** curr_version of this database's schema_version row (undefined without one). */
  async version(): Promise<string | undefined> {
    if (!(await this.hasTable('schema_version'))) return undefined;
    const rows = await this.query(`SELECT curr_version FROM schema_version`);
    assert.ok(rows.length <= 1, `more than one schema_version row: ${JSON.stringify(rows)}`);
    return rows[0] ? String(rows[0].curr_version) : undefined;
  }

  /** History rows in order: [old, new, md5, description]. */
  async history(): Promise<{ old: string; new: string; md5: string; description: string }[]> {
    if (!(await this.hasTable('schema_update_history'))) return [];
    const rows = await this.query(`SELECT old_version, new_version, manifest_md5, description FROM schema_update_history ORDER BY update_time`);
    return rows.map((r) => ({ old: String(r.old_version), new: String(r.new_version), md5: String(r.manifest_md5 ?? ''), description: String(r.description ?? '') }));
  }

  /** Everything a refused command must leave alone: tables, the schema_version rows (all columns), history. */
  async snapshot(): Promise<unknown> {
    const tables = await this.tables();
    const version = tables.includes('schema_version') ? (await this.query(`SELECT * FROM schema_version`)).map((r) => JSON.stringify(r, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v))) : [];
    const history = tables.includes('schema_update_history') ? (await this.query(`SELECT * FROM schema_update_history ORDER BY update_time`)).map((r) => JSON.stringify(r, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v))) : [];
    const checkpoints = tables.includes('schema_update_checkpoint') ? (await this.query(`SELECT * FROM schema_update_checkpoint`)).length : 0;
    const columns: Record<string, string[]> = {};
    for (const t of tables) columns[t] = await this.columns(t);
    return { tables, columns, version, history, checkpoints };
  }

  async assertUnchanged(before: unknown, what: string): Promise<void> {
    assert.deepEqual(await this.snapshot(), before, `${what} changed the database`);
  }

  async drop(): Promise<void> {
    if (this.engine === 'sqlite') {
      rmSync(this.scratch!, { recursive: true, force: true });
      return;
    }
    await dropDatabase(this.engine, this.name);
  }
}

/** The plugin's directory name in schema/ (for the repo's shipped dirs). */
export const SHIPPED_DIR: Record<Engine, string> = { sqlite: 'schema/sqlite/v3', postgres12: 'schema/postgresql/v12', mysql8: 'schema/mysql/v8' };

/** Runs `fn` with a fresh database of `engine` and drops it afterwards, whatever happens. */
export async function withDb<T>(engine: Engine, purpose: string, fn: (db: TestDb) => Promise<T>): Promise<T> {
  const db = await TestDb.create(engine, purpose);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

/** Removes scratch dirs made by copyFixture / scratchDir. */
export function cleanup(...paths: string[]): void {
  for (const p of paths) rmSync(p.endsWith('versioned') ? dirname(p) : p, { recursive: true, force: true });
}
