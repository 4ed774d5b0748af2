/**
 * Databases temporal-sql-tool did not make.
 *
 * - Temporal's SQLite directory layout: `sqlite/v3/temporal/versioned` starts at v0.2, its base
 *   (v0.1) is the schema.sql the release set up. A directory of that shape is written here (never
 *   Temporal's files), with its schema.sql beside it.
 * - A SQLite file as Temporal's Go tool leaves it: bookkeeping tables with Go's DDL (DATETIME(6)),
 *   Go's time format, and `db_name` as --db was typed (a relative path), at the base version 0.1.
 *   It is upgraded from 0.1, found under another spelling of its path, and keeps the key Go reads.
 * - A file as Temporal's dev server leaves it: both stores' tables in one file, no bookkeeping. It is
 *   refused with advice, and adopted with setup-schema --baseline, which checks the tables first.
 * - setup-schema --baseline on every engine: what it refuses (and that it then changes nothing).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ENGINES, engineAvailability } from '../helpers/databases';
import { ROOT, SHIPPED_DIR, TestDb, assertOk, assertRefused, cleanup, md5File, runTool, scratchDir, withDb, writeVersionedDir } from './sql-tool-harness';

// The base (v0.1) of the Temporal-format directory: what its release's schema.sql created.
const BASE_SQL = `CREATE TABLE namespaces (partition_id INT NOT NULL, id BINARY(16) NOT NULL, name VARCHAR(255) NOT NULL, PRIMARY KEY (partition_id, id));
CREATE TABLE shards (shard_id INT NOT NULL, range_id BIGINT NOT NULL, PRIMARY KEY (shard_id));
CREATE TABLE executions (shard_id INT NOT NULL, run_id BINARY(16) NOT NULL, PRIMARY KEY (shard_id, run_id));
CREATE TABLE current_executions (shard_id INT NOT NULL, run_id BINARY(16) NOT NULL, PRIMARY KEY (shard_id));
`;
const V02 = 'CREATE TABLE queues (queue_type INT NOT NULL, PRIMARY KEY (queue_type));\n';
const V03 = 'ALTER TABLE current_executions ADD COLUMN start_time TIMESTAMP NULL;\n';
const V04 = 'CREATE TABLE nexus_endpoints (id BINARY(16) NOT NULL, PRIMARY KEY (id));\n';
// schema.sql beside versioned/: the newest version (0.4) in full.
const FULL_SQL = BASE_SQL.replace('run_id BINARY(16) NOT NULL, PRIMARY KEY (shard_id));', 'run_id BINARY(16) NOT NULL, start_time TIMESTAMP NULL, PRIMARY KEY (shard_id));') + V02 + V04;

/** A store directory in Temporal's SQLite layout: <root>/temporal/{schema.sql, versioned/v0.2..v0.4}. */
function temporalFormatDir(root: string): string {
  const store = join(root, 'temporal');
  mkdirSync(store, { recursive: true });
  writeFileSync(join(store, 'schema.sql'), FULL_SQL);
  return writeVersionedDir(join(store, 'versioned'), [
    { version: '0.2', minCompatible: '0.1', description: 'create queues table', files: { 'queues.sql': V02 } },
    { version: '0.3', minCompatible: '0.1', description: 'add current_executions start_time', files: { 'start_time.sql': V03 } },
    { version: '0.4', minCompatible: '0.1', description: 'create nexus_endpoints table', files: { 'nexus_endpoints.sql': V04 } },
  ]);
}

/** Runs SQL on a SQLite file directly (as another program would), creating it if needed. */
function sqlite(file: string, sql: string): void {
  const d = new Database(file);
  try {
    d.exec(sql);
  } finally {
    d.close();
  }
}

// Go's modernc sqlite driver with _time_format=sqlite writes times as "2006-01-02 15:04:05.999999999-07:00".
const GO_TIME = '2024-03-01 10:00:00.123456789+00:00';
const GO_BOOKKEEPING = `CREATE TABLE schema_version(version_partition INT not null, db_name VARCHAR(255) not null, creation_time DATETIME(6), curr_version VARCHAR(64), min_compatible_version VARCHAR(64), PRIMARY KEY (version_partition, db_name));
CREATE TABLE schema_update_history(version_partition INT not null, year int not null, month int not null, update_time DATETIME(6) not null, description VARCHAR(255), manifest_md5 VARCHAR(64), new_version VARCHAR(64), old_version VARCHAR(64), PRIMARY KEY (version_partition, year, month, update_time));
`;

describe('temporal-sql-tool and SQLite databases made by Temporal (Go tool, dev server)', () => {
  test('a Go-made file at the base version 0.1, keyed by --db as typed (./data/temporal.db): updated from 0.1 under its absolute path; Go still finds its row', async () => {
    const root = scratchDir('gosqlite');
    try {
      const dir = temporalFormatDir(join(root, 'schema'));
      mkdirSync(join(root, 'data'));
      const file = join(root, 'data', 'temporal.db');
      sqlite(
        file,
        BASE_SQL +
          GO_BOOKKEEPING +
          `REPLACE into schema_version(version_partition, db_name, creation_time, curr_version, min_compatible_version) VALUES (0, './data/temporal.db', '${GO_TIME}', '0.1', '0.1');
           INSERT into schema_update_history(version_partition, year, month, update_time, old_version, new_version, manifest_md5, description) VALUES (0, 2024, 3, '${GO_TIME}', '0', '0.1', '', 'initial version');`,
      );
      const flags = ['--pl', 'sqlite', '--db', file];
      const plan = assertOk(await runTool([...flags, 'plan', '-d', dir]));
      assert.match(plan.stdout, /0\.1 -> 0\.4, 3 version\(s\), 3 statement\(s\)/);
      const r = assertOk(await runTool([...flags, 'update-schema', '-d', dir]));
      assert.match(r.stdout, /updating schema 0\.1 -> 0\.4 \(3 version\(s\)\)/);

      const db = new Database(file, { readonly: true });
      try {
        // One row, under the key Go wrote; Go's own query finds the new version.
        assert.deepEqual(db.prepare('SELECT db_name, curr_version, min_compatible_version FROM schema_version').all(), [{ db_name: './data/temporal.db', curr_version: '0.4', min_compatible_version: '0.1' }]);
        assert.deepEqual(db.prepare(`SELECT curr_version FROM schema_version where version_partition=0 and db_name=?`).all('./data/temporal.db'), [{ curr_version: '0.4' }]);
        const history = db.prepare('SELECT old_version AS o, new_version AS n, manifest_md5 AS m FROM schema_update_history ORDER BY update_time').all() as { o: string; n: string; m: string }[];
        assert.deepEqual(
          history.map((h) => [h.o, h.n, h.m]),
          [
            ['0', '0.1', ''],
            ['0.1', '0.2', md5File(join(dir, 'v0.2', 'manifest.json'))],
            ['0.2', '0.3', md5File(join(dir, 'v0.3', 'manifest.json'))],
            ['0.3', '0.4', md5File(join(dir, 'v0.4', 'manifest.json'))],
          ],
        );
        const columns = (db.prepare(`SELECT name FROM pragma_table_info('current_executions')`).all() as { name: string }[]).map((c) => c.name);
        assert.ok(columns.includes('start_time'));
        assert.ok(db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'nexus_endpoints'`).get());
      } finally {
        db.close();
      }
      // Typed as Go's user typed it, from the directory Go ran in.
      const again = assertOk(await runTool(['--pl', 'sqlite', '--db', './data/temporal.db', 'update-schema', '-d', dir], { cwd: root }));
      assert.match(again.stdout, /already at 0\.4; nothing to apply/);
    } finally {
      cleanup(root);
    }
  });

  test('two rows for the same file under different names: refused, naming both, nothing changes', async () => {
    const root = scratchDir('gosqlite2');
    try {
      const dir = temporalFormatDir(join(root, 'schema'));
      mkdirSync(join(root, 'a'));
      const file = join(root, 'a', 'temporal.db');
      sqlite(
        file,
        BASE_SQL +
          GO_BOOKKEEPING +
          `INSERT INTO schema_version VALUES (0, './a/temporal.db', '${GO_TIME}', '0.1', '0.1');
           INSERT INTO schema_version VALUES (0, 'elsewhere/temporal.db', '${GO_TIME}', '0.2', '0.1');`,
      );
      const t = TestDb.existing('sqlite', file);
      const before = await t.snapshot();
      assertRefused(await runTool(['--pl', 'sqlite', '--db', file, 'update-schema', '-d', dir]), /schema_version of .*a\/temporal\.db has rows for "\.\/a\/temporal\.db" and "elsewhere\/temporal\.db"; pass --db exactly as one of them/);
      await t.assertUnchanged(before, 'an ambiguous db_name');
      assertOk(await runTool(['--pl', 'sqlite', '--db', './a/temporal.db', 'update-schema', '-d', dir], { cwd: root }));
      assert.deepEqual(
        (await t.query('SELECT db_name AS d, curr_version AS c FROM schema_version ORDER BY 1')).map((r) => `${String(r.d)}=${String(r.c)}`),
        ['./a/temporal.db=0.4', 'elsewhere/temporal.db=0.2'],
      );
    } finally {
      cleanup(root);
    }
  });

  test('a dev-server file (both stores in one file, no bookkeeping): refused with advice; --baseline checks the tables, refuses the wrong versions, records the right one; update-schema continues', async () => {
    const root = scratchDir('devserver');
    try {
      const dir = temporalFormatDir(join(root, 'schema'));
      const file = join(root, 'temporal.db');
      // The tables of 0.3 and the visibility store's, as the dev server creates them in one file.
      sqlite(file, BASE_SQL + V02 + V03 + 'CREATE TABLE executions_visibility (namespace_id CHAR(64) NOT NULL, run_id CHAR(64) NOT NULL, PRIMARY KEY (namespace_id, run_id));\n');
      const db = TestDb.existing('sqlite', file);
      const tool = (args: string[]) => runTool(['--pl', 'sqlite', '--db', file, ...args]);
      let before = await db.snapshot();
      assertRefused(await tool(['update-schema', '-d', dir]), /has 6 table\(s\) but no schema version: it was made without the schema tool \(Temporal's dev server does that\)\. Record the version its tables are at with setup-schema --baseline X\.Y --schema-dir/);
      await db.assertUnchanged(before, 'update-schema on a dev-server file');

      // What the old advice did: setup-schema -v 0.0. The directory cannot build from 0.0.
      assertOk(await tool(['setup-schema', '-v', '0.0']));
      before = await db.snapshot();
      assertRefused(await tool(['update-schema', '-d', dir]), /versioned starts at v0\.2: it upgrades databases from 0\.1 .* and cannot build one from an empty database at 0\.0\. .*setup-schema --baseline X\.Y --schema-dir/);
      await db.assertUnchanged(before, 'update-schema from 0.0 with a directory that starts at v0.2');

      for (const [version, why] of [
        ['0.4', /it lacks table nexus_endpoints\. Its tables match v0\.3: setup-schema --baseline 0\.3 --schema-dir/],
        ['0.2', /it already has column current_executions\.start_time, which later versions add\. Its tables match v0\.3/],
        ['0.1', /it already has table queues, column current_executions\.start_time, which later versions add\. Its tables match v0\.3/],
      ] as const) {
        assertRefused(await tool(['setup-schema', '--baseline', version, '--schema-dir', dir]), new RegExp(`does not have the tables of v${version.replace('.', '\\.')} of .*versioned: `), why, /nothing was recorded/);
        await db.assertUnchanged(before, `--baseline ${version}`);
      }

      const adopted = assertOk(await tool(['setup-schema', '--baseline', '0.3', '--schema-dir', dir]));
      assert.match(adopted.stdout, /schema version set to 0\.3 \(baseline: 5 of the 5 tables of v0\.3 found with their columns, nothing of a later version\)/);
      assert.equal(await db.version(), '0.3');
      const history = await db.history();
      assert.deepEqual(history[history.length - 1], { old: '0.0', new: '0.3', md5: md5File(join(dir, 'v0.3', 'manifest.json')), description: 'baseline: 5 table(s) checked against v0.3' });
      const again = await db.snapshot();
      assertRefused(await tool(['setup-schema', '--baseline', '0.3', '--schema-dir', dir]), /already records schema version 0\.3; --baseline is for a database that has tables but no version\. Run update-schema to continue from 0\.3/);
      await db.assertUnchanged(again, 'a second --baseline');

      const r = assertOk(await tool(['update-schema', '-d', dir]));
      assert.match(r.stdout, /updating schema 0\.3 -> 0\.4 \(1 version\(s\)\)/);
      assert.ok(await db.hasTable('nexus_endpoints'));
      assert.ok(await db.hasTable('executions_visibility'), 'the visibility tables in the same file are left alone');
    } finally {
      cleanup(root);
    }
  });
});

for (const engine of ENGINES) {
  describe(`setup-schema --baseline refuses what it cannot check, and changes nothing: ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    test('bad flags, a database with a version, one without tables, the other store', { skip }, async () => {
      const temporal = join(ROOT, SHIPPED_DIR[engine], 'temporal', 'versioned');
      const visibility = join(ROOT, SHIPPED_DIR[engine], 'visibility', 'versioned');
      await withDb(engine, 'baseline', async (db) => {
        let before = await db.snapshot();
        assertRefused(await db.tool(['setup-schema', '--baseline', '1.0', '--schema-dir', temporal]), /has no tables to check; a new database is set up with setup-schema -v 0\.0, then update-schema/);
        await db.assertUnchanged(before, '--baseline on an empty database');

        assertOk(await db.tool(['setup-schema', '-d', '-f', join(temporal, 'v1.0', 'schema.sql')]));
        before = await db.snapshot();
        const cases: [string[], RegExp][] = [
          [['--baseline', '1.x', '--schema-dir', temporal], /--baseline "1\.x" is not a version \(expected e\.g\. 1\.2\)/],
          [['--baseline', '0.0', '--schema-dir', temporal], /--baseline 0\.0 would record an empty database; for a new database use setup-schema -v 0\.0/],
          [['--baseline', '1.7', '--schema-dir', temporal], /--baseline 1\.7: .*temporal\/versioned has no v1\.7 \(it has 1\.0, 1\.1(, \d+\.\d+)*\); pass the version of the release that made the database/],
          [['--baseline', '1.0', '-v', '1.0', '--schema-dir', temporal], /--baseline records the version of tables that exist; it cannot be combined with -v/],
          [['--baseline', '1.0', '-o', '--schema-dir', temporal], /it cannot be combined with -o/],
          [['--baseline', '1.0'], /--baseline needs the versioned directory to check the tables against: --schema-dir DIR \(or -s NAME for a shipped schema\)/],
          [['--schema-dir', temporal], /--schema-dir goes with --baseline X\.Y/],
          [['--baseline', '1.0', '--schema-dir', temporal, '-s', 'sqlite/v3/temporal'], /--schema-dir and -s\/--schema-name cannot both be given/],
          [['--baseline', '1.0', '--schema-dir', visibility], /visibility\/versioned is the visibility store's directory, but .* holds the temporal store/],
          [['--baseline', '1.1', '--schema-dir', temporal], /does not have the tables of v1\.1 of .*: it lacks column data_format_rewrite\.rows_total, column data_format_rewrite\.rows_scanned, column data_format_rewrite\.updated_time\. Its tables match v1\.0: setup-schema --baseline 1\.0/],
        ];
        for (const [args, re] of cases) {
          assertRefused(await db.tool(['setup-schema', ...args]), re);
          await db.assertUnchanged(before, `setup-schema ${args.join(' ')}`);
        }
        // -s names a shipped schema: its versioned directory is the one checked.
        const name = SHIPPED_DIR[engine].replace(/^schema\//, '') + '/temporal';
        assertOk(await db.tool(['setup-schema', '--baseline', '1.0', '-s', name]));
        assert.equal(await db.version(), '1.0');
        before = await db.snapshot();
        assertRefused(await db.tool(['setup-schema', '--baseline', '1.0', '-s', name]), /already records schema version 1\.0/);
        await db.assertUnchanged(before, '--baseline on a database with a version');
        assertOk(await db.tool(['update-schema', '-s', name, '-v', '1.1']));
        assert.equal(await db.version(), '1.1');
      });
    });
  });
}
