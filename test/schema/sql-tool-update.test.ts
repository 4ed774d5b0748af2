/**
 * update-schema and plan on every engine (sqlite, postgres12, mysql8): several versions in order,
 * the history rows Temporal's Go tool writes (old/new version, md5 of the manifest.json bytes,
 * description), -v targets, re-runs that change nothing, plan that changes nothing, the warning when
 * an applied manifest changed (drift), and directories in the exact format Temporal ships, with
 * bookkeeping tables that have exactly Go's columns.
 */
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, engineAvailability } from '../helpers/databases';
import { GO_FORMAT_DIRS, type TestDb, assertOk, assertRefused, cleanup, copyFixture, fixture, md5File, scratchDir, withDb, writeVersionedDir } from './sql-tool-harness';

const MULTI = fixture('multi');
const manifestMd5 = (dir: string, v: string) => md5File(join(dir, `v${v}`, 'manifest.json'));
const description = (dir: string, v: string) => (JSON.parse(readFileSync(join(dir, `v${v}`, 'manifest.json'), 'utf8')) as { Description: string }).Description;
const historyRow = (dir: string, oldV: string, newV: string) => ({ old: oldV, new: newV, md5: manifestMd5(dir, newV), description: description(dir, newV) });
const INITIAL = { old: '0', new: '0.0', md5: '', description: 'initial version' };

const GO_SCHEMA_VERSION_COLUMNS = ['version_partition', 'db_name', 'creation_time', 'curr_version', 'min_compatible_version'];
const GO_HISTORY_COLUMNS = ['version_partition', 'year', 'month', 'update_time', 'description', 'manifest_md5', 'new_version', 'old_version'];

for (const engine of ENGINES) {
  describe(`temporal-sql-tool update-schema / plan: ${engine}`, async () => {
    const skip = await engineAvailability(engine);

    test('several versions: -v target, refused targets, plan, history rows, re-runs are no-ops', { skip }, async () => {
      await withDb(engine, 'update', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));

        // A middle version as the target.
        const toMiddle = assertOk(await db.tool(['update-schema', '-d', MULTI, '-v', '1.1']));
        assert.match(toMiddle.stdout, /updating schema 0\.0 -> 1\.1 \(2 version\(s\)\)/);
        // MySQL cannot roll DDL back: its versions run statement by statement, and say so.
        const how = engine === 'mysql8' ? ' \\(statement by statement, checkpointed\\)' : '';
        assert.match(toMiddle.stdout, new RegExp(`\\[1/2\\] v1\\.0 "base table": 1 statement\\(s\\)${how} \\.\\.\\. ok`));
        assert.match(toMiddle.stdout, new RegExp(`\\[2/2\\] v1\\.1 "second table and a seed row": 2 statement\\(s\\)${how} \\.\\.\\. ok`));
        assert.equal(await db.version(), '1.1');
        assert.deepEqual(await db.history(), [INITIAL, historyRow(MULTI, '0.0', '1.0'), historyRow(MULTI, '1.0', '1.1')]);
        assert.ok(await db.hasTable('t_one'));
        assert.equal((await db.query('SELECT COUNT(*) AS n FROM t_base'))[0]!.n == 1, true, 'the seed row of v1.1');

        // Targets that are not allowed: nothing changes.
        let before = await db.snapshot();
        assertRefused(await db.tool(['update-schema', '-d', MULTI, '-v', '1.0']), /target version 1\.0 is older than the database's version 1\.1; schema downgrades are not supported \(restore a backup instead\)/);
        await db.assertUnchanged(before, 'update-schema -v <older>');
        assertRefused(await db.tool(['update-schema', '-d', MULTI, '-v', '2.0']), /target version 2\.0 has no directory in .*multi; existing versions: 1\.0, 1\.1, 1\.2, 1\.3/);
        await db.assertUnchanged(before, 'update-schema -v <unknown>');
        assertRefused(await db.tool(['update-schema', '-d', MULTI, '-v', 'latest']), /-v\/--version "latest" is not a version \(expected e\.g\. 1\.2\)/);
        await db.assertUnchanged(before, 'update-schema -v <not a version>');
        assertRefused(await db.tool(['update-schema']), /pass the versioned schema directory with -d\/--schema-dir/);
        assertRefused(await db.tool(['update-schema', '-d', MULTI, '-s', 'sqlite/v3/temporal']), /-d\/--schema-dir and -s\/--schema-name cannot both be given/);
        await db.assertUnchanged(before, 'update-schema with bad flags');

        // plan: versions, files, statements; changes nothing.
        const plan = assertOk(await db.tool(['plan', '-d', MULTI]));
        const lines = plan.stdout;
        assert.match(lines, /1\.1 -> 1\.3, 2 version\(s\), 1 statement\(s\)/);
        const planHow = engine === 'mysql8' ? ', statement by statement with checkpoints' : '';
        assert.match(lines, new RegExp(`v1\\.2  version bump only  \\[min compatible 1\\.0, manifest md5 ${manifestMd5(MULTI, '1.2')}${planHow}\\]`));
        assert.match(lines, /\(no files: version bump only\)/);
        assert.match(lines, /v1\.3 {2}note column/);
        assert.match(lines, /c\.sql: 1 statement\(s\)\n\s+1\. ALTER TABLE t_one ADD COLUMN note VARCHAR\(20\)/);
        assert.doesNotMatch(lines, /v1\.1 /, 'applied versions are not in the plan');
        await db.assertUnchanged(before, 'plan');
        const planToMiddle = assertOk(await db.tool(['plan', '-d', MULTI, '-v', '1.2']));
        assert.match(planToMiddle.stdout, /1\.1 -> 1\.2, 1 version\(s\), 0 statement\(s\)/);
        assert.doesNotMatch(planToMiddle.stdout, /v1\.3/);
        await db.assertUnchanged(before, 'plan -v 1.2');

        // AllowNoCqlFiles: v1.2 is a version bump with no statements.
        const tablesAt11 = await db.snapshot().then((s) => (s as { columns: unknown }).columns);
        assertOk(await db.tool(['update-schema', '-d', MULTI, '-v', '1.2']));
        assert.equal(await db.version(), '1.2');
        assert.deepEqual((await db.snapshot().then((s) => (s as { columns: unknown }).columns)), tablesAt11, 'a version without files changes no table');

        // The rest, then a re-run that does nothing.
        const rest = assertOk(await db.tool(['update', '-d', MULTI]));
        assert.match(rest.stdout, /schema is now at 1\.3/);
        assert.equal(await db.version(), '1.3');
        assert.ok((await db.columns('t_one')).includes('note'));
        assert.deepEqual(await db.history(), [INITIAL, historyRow(MULTI, '0.0', '1.0'), historyRow(MULTI, '1.0', '1.1'), historyRow(MULTI, '1.1', '1.2'), historyRow(MULTI, '1.2', '1.3')]);
        const minCompat = await db.query('SELECT min_compatible_version AS m, db_name AS d, version_partition AS p FROM schema_version');
        assert.deepEqual(minCompat.map((r) => [String(r.m), String(r.p)]), [['1.0', '0']]);

        before = await db.snapshot();
        const again = assertOk(await db.tool(['update-schema', '-d', MULTI]));
        assert.match(again.stdout, /already at 1\.3; nothing to apply/);
        await db.assertUnchanged(before, 'a second update-schema');
        const planNothing = assertOk(await db.tool(['plan', '-d', MULTI]));
        assert.match(planNothing.stdout, /already at 1\.3; nothing to apply/);
        const setupAgain = assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assert.match(setupAgain.stdout, /already at schema version 1\.3/);
        await db.assertUnchanged(before, 'plan and setup-schema -v 0.0 on an updated database');
      });
    });

    test('a directory in the format Temporal ships (v1.0 MinCompatibleVersion 0.1, two files in v1.1) upgrades; bookkeeping has exactly Go\'s columns', { skip }, async () => {
      const dir = GO_FORMAT_DIRS[engine];
      await withDb(engine, 'goformat', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assert.deepEqual(await db.columns('schema_version'), GO_SCHEMA_VERSION_COLUMNS);
        assert.deepEqual(await db.columns('schema_update_history'), GO_HISTORY_COLUMNS);

        const plan = assertOk(await db.tool(['plan', '-d', dir]));
        assert.match(plan.stdout, /0\.0 -> 1\.1, 2 version\(s\)/);
        assert.match(plan.stdout, /v1\.0 {2}base version of schema {2}\[min compatible 0\.1,/);
        assert.match(plan.stdout, /namespace_notes\.sql: 2 statement\(s\)/);
        assert.match(plan.stdout, /update_counter\.sql: 1 statement\(s\)/);

        // One version at a time, as an operator following the upgrade page would.
        assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.0']));
        let row = (await db.query('SELECT curr_version AS c, min_compatible_version AS m FROM schema_version'))[0]!;
        assert.deepEqual([String(row.c), String(row.m)], ['1.0', '0.1'], 'MinCompatibleVersion of v1.0 is recorded as written');
        assertOk(await db.tool(['update-schema', '-d', dir]));
        row = (await db.query('SELECT curr_version AS c, min_compatible_version AS m FROM schema_version'))[0]!;
        assert.deepEqual([String(row.c), String(row.m)], ['1.1', '1.0']);
        assert.deepEqual(await db.history(), [INITIAL, historyRow(dir, '0.0', '1.0'), historyRow(dir, '1.0', '1.1')]);

        // Exactly Go's columns; our own table only where it is needed (MySQL).
        assert.deepEqual(await db.columns('schema_version'), GO_SCHEMA_VERSION_COLUMNS);
        assert.deepEqual(await db.columns('schema_update_history'), GO_HISTORY_COLUMNS);
        const bookkeeping = (await db.tables()).filter((t) => t.startsWith('schema_'));
        assert.deepEqual(bookkeeping, engine === 'mysql8' ? ['schema_update_checkpoint', 'schema_update_history', 'schema_version'] : ['schema_update_history', 'schema_version']);
        if (engine === 'mysql8') assert.equal((await db.query('SELECT COUNT(*) AS n FROM schema_update_checkpoint'))[0]!.n, 0);

        // The multi-statement bodies arrived whole: the trigger (BEGIN … END / $body$) works.
        assert.ok((await db.columns('namespaces')).includes('notes'));
        const id = engine === 'postgres12' ? `'\\x00'::bytea` : `X'00'`;
        await db.query(`INSERT INTO namespaces (partition_id, id, name, notification_version, data, data_encoding, is_global) VALUES (0, ${id}, 'default', 1, ${id}, 'proto3', ${engine === 'postgres12' ? 'false' : '0'})`);
        await db.query(`UPDATE namespaces SET notes = 'changed' WHERE name = 'default'`);
        assert.equal(Number((await db.query(`SELECT updated_count AS n FROM namespaces WHERE name = 'default'`))[0]!.n), 1, 'the trigger of v1.1 ran');
        const index = {
          sqlite: `SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'executions_by_next_event'`,
          postgres12: `SELECT indexname FROM pg_indexes WHERE indexname = 'executions_by_next_event'`,
          mysql8: `SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'executions_by_next_event'`,
        }[engine];
        assert.ok((await db.query(index)).length > 0, 'the index of v1.1 exists');
      });
    });

    test('drift: a changed manifest of an applied version is reported with the version and both md5s', { skip }, async () => {
      const dir = copyFixture('multi');
      try {
        await withDb(engine, 'drift', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.1']));
          const recorded = manifestMd5(dir, '1.0');
          const path = join(dir, 'v1.0', 'manifest.json');
          writeFileSync(path, readFileSync(path, 'utf8').replace('"base table"', '"base table, edited later"'));
          const now = manifestMd5(dir, '1.0');
          assert.notEqual(now, recorded);
          const warning = new RegExp(`warning: v1\\.0/manifest\\.json has changed since it was applied on .* \\(recorded md5 ${recorded}, now ${now}\\); the directory differs from the one that built this database`);
          const plan = assertOk(await db.tool(['plan', '-d', dir]));
          assert.match(plan.stderr, warning);
          const r = assertOk(await db.tool(['update-schema', '-d', dir]));
          assert.match(r.stderr, warning);
          assert.doesNotMatch(r.stderr, /v1\.1\/manifest\.json has changed/);
          assert.equal(await db.version(), '1.3');
        });
      } finally {
        cleanup(dir);
      }
    });
  });
}

describe('temporal-sql-tool: statements Temporal\'s own directories use', async () => {
  const skip = await engineAvailability('postgres12');
  // Temporal's schema/postgresql/v12/visibility/versioned/v1.13/combined_v1.10_v1.13.sql (PR #10371)
  // builds its indexes with CREATE INDEX CONCURRENTLY IF NOT EXISTS, which PostgreSQL refuses inside a
  // transaction block; the Go tool runs statements without a transaction, so it works there.
  test(
    'postgres12: a version with CREATE INDEX CONCURRENTLY (as in Temporal\'s visibility v1.13) applies',
    { skip },
    async () => {
      const dir = writeVersionedDir(join(scratchDir('concurrently'), 'versioned'), [
        { version: '1.0', files: { 'base.sql': 'CREATE TABLE t_base (id INT NOT NULL, note VARCHAR(20));\n' } },
        { version: '1.1', files: { 'index.sql': 'ALTER TABLE t_base ADD COLUMN IF NOT EXISTS extra INT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS by_note ON t_base (note);\n' } },
      ]);
      try {
        await withDb('postgres12', 'concurrently', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          assertOk(await db.tool(['update-schema', '-d', dir]));
          assert.equal(await db.version(), '1.1');
          assert.equal((await db.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'by_note'`)).length, 1);
        });
      } finally {
        cleanup(dir);
      }
    },
  );
});

describe('temporal-sql-tool: an index a failed CREATE INDEX CONCURRENTLY left behind', async () => {
  const skip = await engineAvailability('postgres12');
  test('postgres12: the INVALID index is reported with the DROP to run, never recorded as applied', { skip }, async () => {
    const dir = writeVersionedDir(join(scratchDir('invalid-index'), 'versioned'), [
      { version: '1.0', files: { 'base.sql': "CREATE TABLE t_dup (id INT NOT NULL, note VARCHAR(20));\nINSERT INTO t_dup (id, note) VALUES (1, 'same'), (2, 'same');\n" } },
      { version: '1.1', files: { 'index.sql': 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS by_note_unique ON t_dup (note);\n' } },
    ]);
    try {
      await withDb('postgres12', 'invalididx', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        // duplicates: the build fails and PostgreSQL keeps the half-built index, INVALID
        assertRefused(await db.tool(['update-schema', '-d', dir]), /could not create unique index|duplicate key/);
        await db.query('DELETE FROM t_dup WHERE id = 2');
        // IF NOT EXISTS now passes over the INVALID index: the tool must not call that applied
        assertRefused(await db.tool(['update-schema', '-d', dir]), /has an INVALID index by_note_unique, left by a CREATE INDEX CONCURRENTLY that failed or was interrupted.*DROP INDEX CONCURRENTLY by_note_unique;/s);
        assert.equal(await db.version(), '1.0');
        await db.query('DROP INDEX by_note_unique');
        assertOk(await db.tool(['update-schema', '-d', dir]));
        assert.equal(await db.version(), '1.1');
        const valid = await db.query("SELECT i.indisvalid AS v FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'by_note_unique'");
        assert.deepEqual(valid.map((r) => r.v), [true]);
      });
    } finally {
      cleanup(dir);
    }
  });
});

describe('temporal-sql-tool: the repo\'s shipped directories by schema name (-s)', () => {
  test('sqlite: update-schema -s sqlite/v3/temporal applies schema/sqlite/v3/temporal/versioned', async () => {
    await withDb('sqlite', 'byname', async (db: TestDb) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      assertOk(await db.tool(['update-schema', '-s', 'sqlite/v3/temporal']));
      assert.equal(await db.version(), formatVersion(requiredVersion('sqlite', 'temporal')));
      assert.ok(await db.hasTable('executions'));
    });
  });
});
