/**
 * The versioned schema directories and the full schema.sql beside them describe the same database.
 *
 * For every plugin and store, two fresh databases (sqlite: two files under the temp dir) are made with
 * temporal-sql-tool create-database and built:
 *   A: setup-schema -v 0.0, then update-schema -d schema/<dir>/<store>/versioned (every version in order)
 *   B: setup-schema -v <latest> -f schema/<dir>/<store>/schema.sql
 * and their introspected shapes (tables, columns, keys, indexes) must be equal.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { ENGINES, type Engine, MYSQL, PG, dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName } from '../helpers/databases';
import { introspect } from '../helpers/introspect';
import { ENGINE_DIRS } from '../../src/schema/shipped';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schema'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${start}`);
    dir = up;
  }
  return dir;
}
const ROOT = findRepoRoot(__dirname);
const TOOL = join(ROOT, 'bin', 'temporal-sql-tool.js');

const STORES = ['temporal', 'visibility'] as const;
type Store = (typeof STORES)[number];
const KEY_TABLES: Record<Store, string[]> = {
  temporal: ['cluster_metadata_info', 'namespaces', 'shards', 'executions', 'current_executions', 'history_tree', 'history_node', 'task_queues', 'tasks'],
  visibility: ['executions_visibility', 'custom_search_attributes'],
};

function versionParts(v: string): number[] {
  return v.replace(/^v/, '').split('.').map(Number);
}
function compareVersionStrings(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** CurrVersion of the newest vX.Y directory, checked against the directory name. */
function latestVersion(versionedDir: string): string {
  const dirs = readdirSync(versionedDir)
    .filter((n) => /^v\d+(\.\d+)*$/.test(n) && statSync(join(versionedDir, n)).isDirectory())
    .sort(compareVersionStrings);
  const last = dirs[dirs.length - 1];
  assert.ok(last, `no version directories in ${versionedDir}`);
  const manifest = JSON.parse(readFileSync(join(versionedDir, last, 'manifest.json'), 'utf8')) as { CurrVersion: string };
  assert.equal(`v${manifest.CurrVersion}`, last, `manifest of ${last} names another version`);
  return manifest.CurrVersion;
}

function runTool(engine: Engine, db: string, args: string[]): string {
  const r = spawnSync(process.execPath, [TOOL, ...toolConnectionFlags(engine, db), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const cmd = `temporal-sql-tool ${toolConnectionFlags(engine, db).join(' ')} ${args.join(' ')}`;
  assert.equal(r.error, undefined, `${cmd}: ${String(r.error)}`);
  assert.equal(r.status, 0, `${cmd} exited ${String(r.status)}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  return r.stdout;
}

/** The curr_version values recorded in schema_version. */
async function recordedVersions(engine: Engine, db: string): Promise<string[]> {
  const sql = 'SELECT curr_version FROM schema_version';
  switch (engine) {
    case 'sqlite': {
      const d = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (d.prepare(sql).all() as { curr_version: string }[]).map((r) => r.curr_version);
      } finally {
        d.close();
      }
    }
    case 'postgres12': {
      const c = new PgClient({ ...PG, database: db });
      await c.connect();
      try {
        return (await c.query<{ curr_version: string }>(sql)).rows.map((r) => r.curr_version);
      } finally {
        await c.end();
      }
    }
    case 'mysql8': {
      const c = await mysql.createConnection({ ...MYSQL, database: db });
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>(sql);
        return rows.map((r) => String(r.curr_version));
      } finally {
        await c.end();
      }
    }
  }
}

function removeSqliteFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
}

for (const engine of ENGINES) {
  describe(`schema equivalence: ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    for (const store of STORES) {
      const base = join('schema', ENGINE_DIRS[engine], store);
      test(`${store}: setup 0.0 + update through every version == setup from ${base}/schema.sql`, { skip }, async () => {
        const versioned = join(base, 'versioned');
        const latest = latestVersion(join(ROOT, versioned));
        const names =
          engine === 'sqlite'
            ? [join(tmpdir(), `${uniqueDbName(`eq_${store}_a`)}.db`), join(tmpdir(), `${uniqueDbName(`eq_${store}_b`)}.db`)]
            : [uniqueDbName(`eq_${store}_a`), uniqueDbName(`eq_${store}_b`)];
        const [a, b] = names as [string, string];
        try {
          // sqlite: the tool makes the file (it will not open a database file that does not exist).
          runTool(engine, a, ['create-database']);
          runTool(engine, b, ['create-database']);
          runTool(engine, a, ['setup-schema', '-v', '0.0']);
          runTool(engine, a, ['update-schema', '-d', versioned]);
          runTool(engine, b, ['setup-schema', '-v', latest, '-f', join(base, 'schema.sql')]);

          const shapeA = await introspect(engine, a);
          const shapeB = await introspect(engine, b);
          const tablesA = shapeA.tables.map((t) => t.name);
          for (const t of KEY_TABLES[store]) assert.ok(tablesA.includes(t), `table ${t} missing after update-schema; have ${tablesA.join(', ')}`);
          assert.deepEqual(shapeA, shapeB, `${engine} ${store}: versioned updates and schema.sql differ`);

          if (engine === 'postgres12') {
            // Unquoted mixed-case names (Keyword01) fold to lower case; nothing may have been created quoted.
            for (const t of shapeA.tables) for (const c of t.columns) assert.equal(c.name, c.name.toLowerCase(), `${t.name}.${c.name} is not lower case`);
          }
          if (engine === 'mysql8') {
            for (const t of shapeA.tables) {
              assert.equal(t.options.engine, 'InnoDB', `${t.name} engine`);
              assert.equal(t.options.collation, 'utf8mb4_bin', `${t.name} collation: workflow ids are case-sensitive`);
            }
          }

          assert.deepEqual(await recordedVersions(engine, a), [latest], 'schema_version of A after update-schema');
          assert.deepEqual(await recordedVersions(engine, b), [latest], 'schema_version of B after setup-schema -v latest');
        } finally {
          for (const n of names) {
            if (engine === 'sqlite') removeSqliteFiles(n);
            else await dropDatabase(engine, n);
          }
        }
      });
    }
  });
}
