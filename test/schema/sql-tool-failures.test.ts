/**
 * A version that fails half-way, and a run that is killed half-way.
 *
 * PostgreSQL and SQLite run each version in one transaction: nothing of the failed version stays,
 * earlier versions do. MySQL commits every DDL statement on its own, so the tool checkpoints each
 * statement in schema_update_checkpoint and a re-run resumes after the last checkpoint; the one
 * statement after it may have taken effect without its checkpoint, and only for that one is
 * "already exists" accepted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Engine, engineAvailability } from '../helpers/databases';
import { type TestDb, assertOk, assertRefused, cleanup, copyFixture, md5, scratchDir, withDb, writeVersionedDir } from './sql-tool-harness';

const FIXED_SECOND_SQL = 'CREATE TABLE f_fixed (id INT);\nCREATE TABLE f_three (id INT);\n';
const FAILING = 'INSERT INTO f_one (id) SELECT id FROM no_such_table';

/** Checkpoints of statements (index >= 0); the "run started" marker (index -1) is checked on its own. */
async function checkpoints(db: TestDb): Promise<[string, number, string][]> {
  if (!(await db.hasTable('schema_update_checkpoint'))) return [];
  const rows = await db.query('SELECT new_version AS v, statement_index AS i, statement_md5 AS m FROM schema_update_checkpoint WHERE statement_index >= 0 ORDER BY new_version, statement_index');
  return rows.map((r) => [String(r.v), Number(r.i), String(r.m)]);
}

describe('temporal-sql-tool: a statement fails half-way through a version', async () => {
  for (const engine of ['postgres12', 'sqlite'] as Engine[]) {
    const skip = await engineAvailability(engine);
    test(`${engine}: nothing of the failed version is applied, earlier versions stay; the message names version, file, statement number and text`, { skip }, async () => {
      const dir = copyFixture('fails-mid-version');
      try {
        await withDb(engine, 'failmid', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          const r = assertRefused(
            await db.tool(['update-schema', '-d', dir]),
            /v1\.1\/second\.sql:1 \(statement 3 of v1\.1\) failed: .*no_such_table/,
            new RegExp(`statement: ${FAILING.replace(/[()]/g, '\\$&')}`),
            /v1\.0 applied and kept; nothing of v1\.1 was applied \(its transaction was rolled back\); the database is at 1\.0/,
            /Fix the cause \(or restore the schema directory from the release\) and run update-schema again/,
          );
          assert.match(r.stdout, /\[1\/2\] v1\.0 "base": 1 statement\(s\) \.\.\. ok/);
          assert.match(r.stdout, /\[2\/2\] v1\.1 "fails half-way": 4 statement\(s\) \.\.\. FAILED/);
          assert.equal(await db.version(), '1.0');
          assert.ok(await db.hasTable('t_base'), 'v1.0 stays applied');
          for (const t of ['f_one', 'f_two', 'f_three']) assert.equal(await db.hasTable(t), false, `${t} of the failed v1.1 must not exist`);
          assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0']);

          // The same failure again changes nothing.
          const before = await db.snapshot();
          assertRefused(await db.tool(['update-schema', '-d', dir]), /v1\.1\/second\.sql:1 \(statement 3 of v1\.1\) failed/, /the database is at 1\.0/);
          await db.assertUnchanged(before, 'a re-run of the failing version');

          writeFileSync(join(dir, 'v1.1', 'second.sql'), FIXED_SECOND_SQL);
          assertOk(await db.tool(['update-schema', '-d', dir]));
          assert.equal(await db.version(), '1.1');
          for (const t of ['f_one', 'f_two', 'f_fixed', 'f_three']) assert.ok(await db.hasTable(t), t);
          assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0', '1.1']);
        });
      } finally {
        cleanup(dir);
      }
    });
  }

  const mySkip = await engineAvailability('mysql8');
  test('mysql8: the statements before the failure took effect and are checkpointed; after the fix a re-run resumes and completes', { skip: mySkip }, async () => {
    const dir = copyFixture('fails-mid-version');
    try {
      await withDb('mysql8', 'failmid', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assertRefused(
          await db.tool(['update-schema', '-d', dir]),
          /v1\.1\/second\.sql:1 \(statement 3 of v1\.1\) failed: .*no_such_table/,
          new RegExp(`statement: ${FAILING.replace(/[()]/g, '\\$&')}`),
          /the statements of v1\.1 before this one took effect and are checkpointed; a re-run resumes with this statement/,
        );
        assert.equal(await db.version(), '1.0');
        assert.ok(await db.hasTable('f_one'));
        assert.ok(await db.hasTable('f_two'));
        assert.equal(await db.hasTable('f_three'), false);
        assert.deepEqual(await checkpoints(db), [
          ['1.1', 0, md5('CREATE TABLE f_one (id INT)')],
          ['1.1', 1, md5('CREATE TABLE f_two (id INT)')],
        ]);
        const marker = await db.query('SELECT new_version AS v FROM schema_update_checkpoint WHERE statement_index = -1');
        assert.deepEqual(marker.map((r) => String(r.v)), ['1.1'], 'the run of v1.1 left its "started" marker');
        assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0']);

        writeFileSync(join(dir, 'v1.1', 'second.sql'), FIXED_SECOND_SQL);
        const r = assertOk(await db.tool(['update-schema', '-d', dir]));
        assert.match(r.stdout, /v1\.1: resuming after 2 of 4 statement\(s\) applied by an earlier run/);
        assert.equal(await db.version(), '1.1');
        for (const t of ['f_one', 'f_two', 'f_fixed', 'f_three']) assert.ok(await db.hasTable(t), t);
        assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0', '1.1'], 'v1.1 recorded once');
        assert.deepEqual(await checkpoints(db), [], 'checkpoints are cleared once the version is recorded');
      });
    } finally {
      cleanup(dir);
    }
  });

  test(
    'mysql8: plan after a failed run says that update-schema will resume (plan = the run)',
    { skip: mySkip },
    async () => {
      const dir = copyFixture('fails-mid-version');
      try {
        await withDb('mysql8', 'failplan', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          assertRefused(await db.tool(['update-schema', '-d', dir]), /\(statement 3 of v1\.1\) failed/);
          writeFileSync(join(dir, 'v1.1', 'second.sql'), FIXED_SECOND_SQL);
          const plan = assertOk(await db.tool(['plan', '-d', dir]));
          assert.match(plan.stdout, /resum\w* after 2 of 4/);
        });
      } finally {
        cleanup(dir);
      }
    },
  );
});

describe('temporal-sql-tool: a killed run is re-run (mysql8)', async () => {
  const skip = await engineAvailability('mysql8');
  const STATEMENTS = [
    'CREATE TABLE k1 (id INT)',
    'INSERT INTO k1 (id) VALUES (1)',
    'CREATE TABLE k2 (id INT)',
    'CREATE TABLE k3 (id INT)',
    'ALTER TABLE k1 ADD COLUMN note VARCHAR(20)',
  ];
  const makeDir = () =>
    writeVersionedDir(join(scratchDir('killed'), 'versioned'), [
      { version: '1.0', files: { 'base.sql': 'CREATE TABLE k0 (id INT);\n' } },
      { version: '1.1', description: 'five statements', files: { 'crash.sql': STATEMENTS.map((s) => `${s};\n`).join('') } },
    ]);

  /** A database at 1.0 where a run of v1.1 "crashed" after running `ran` statements and checkpointing `checkpointed`. */
  async function crashed(db: TestDb, dir: string, ran: number, checkpointed: number, md5s: (i: number) => string = (i) => md5(STATEMENTS[i]!)): Promise<void> {
    assertOk(await db.tool(['setup-schema', '-v', '0.0']));
    assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.0']));
    assert.ok(await db.hasTable('schema_update_checkpoint'), 'update-schema makes the checkpoint table on mysql');
    for (let i = 0; i < ran; i++) await db.query(STATEMENTS[i]!);
    for (let i = 0; i < checkpointed; i++) {
      await db.query('INSERT INTO schema_update_checkpoint (version_partition, db_name, new_version, statement_index, statement_md5, applied_time) VALUES (0, ?, ?, ?, ?, UTC_TIMESTAMP(6))', [db.name, '1.1', i, md5s(i)]);
    }
  }

  async function assertCompleted(db: TestDb): Promise<void> {
    assert.equal(await db.version(), '1.1');
    assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0', '1.1'], 'v1.1 recorded once');
    assert.equal(Number((await db.query('SELECT COUNT(*) AS n FROM k1'))[0]!.n), 1, 'the INSERT ran once');
    assert.ok((await db.columns('k1')).includes('note'));
    assert.ok(await db.hasTable('k2'));
    assert.ok(await db.hasTable('k3'));
    assert.deepEqual(await checkpoints(db), []);
  }

  test('checkpoints for the first 2 statements: the re-run resumes after them and nothing is duplicated', { skip }, async () => {
    const dir = makeDir();
    try {
      await withDb('mysql8', 'killed', async (db) => {
        await crashed(db, dir, 2, 2);
        const r = assertOk(await db.tool(['update-schema', '-d', dir]));
        assert.match(r.stdout, /v1\.1: resuming after 2 of 5 statement\(s\) applied by an earlier run/);
        assert.doesNotMatch(r.stderr, /already taken effect/);
        await assertCompleted(db);
      });
    } finally {
      cleanup(dir);
    }
  });

  test('the statement after the last checkpoint had taken effect (table created, checkpoint missing): accepted for that one statement', { skip }, async () => {
    const dir = makeDir();
    try {
      await withDb('mysql8', 'killed', async (db) => {
        await crashed(db, dir, 3, 2);
        const r = assertOk(await db.tool(['update-schema', '-d', dir]));
        assert.match(r.stdout, /resuming after 2 of 5/);
        assert.match(r.stderr, /warning: v1\.1\/crash\.sql:3 \(statement 3 of v1\.1\) had already taken effect in an interrupted run \(.*k2.* already exists\); continuing/);
        await assertCompleted(db);
      });
    } finally {
      cleanup(dir);
    }
  });

  test('"already exists" is not accepted for a second statement after the last checkpoint', { skip }, async () => {
    const dir = makeDir();
    try {
      await withDb('mysql8', 'killed', async (db) => {
        await crashed(db, dir, 4, 2);
        const r = assertRefused(await db.tool(['update-schema', '-d', dir]), /v1\.1\/crash\.sql:4 \(statement 4 of v1\.1\) failed: .*k3.* already exists/, /statement: CREATE TABLE k3 \(id INT\)/);
        assert.match(r.stderr, /warning: v1\.1\/crash\.sql:3 \(statement 3 of v1\.1\) had already taken effect/);
        assert.equal(await db.version(), '1.0');
        assert.deepEqual((await checkpoints(db)).map((c) => c[1]), [0, 1, 2]);
      });
    } finally {
      cleanup(dir);
    }
  });

  test(
    'no earlier run: a table the first statement would create is already there: refused before anything runs, naming the version and the table',
    { skip },
    async () => {
      const dir = makeDir();
      try {
        await withDb('mysql8', 'norun', async (db) => {
          await crashed(db, dir, 0, 0);
          await db.query('CREATE TABLE k1 (something_else VARCHAR(10))');
          const before = await db.snapshot();
          for (const cmd of ['update-schema', 'plan']) {
            assertRefused(await db.tool([cmd, '-d', dir]), /\(at schema version 1\.0\) does not fit what .*versioned would apply: v1\.1 creates table k1, which is already there\. It was changed by hand or by another directory/);
            await db.assertUnchanged(before, `${cmd}: a version whose first table exists for another reason`);
          }
        });
      } finally {
        cleanup(dir);
      }
    },
  );

  test('a checkpointed statement whose text changed since is refused; nothing changes', { skip }, async () => {
    const dir = makeDir();
    try {
      await withDb('mysql8', 'killed', async (db) => {
        await crashed(db, dir, 1, 1, () => md5('CREATE TABLE k1 (id BIGINT)'));
        const before = await db.snapshot();
        assertRefused(await db.tool(['update-schema', '-d', dir]), /statement 1 of v1\.1 was applied by an earlier run but its text has changed since; restore the directory of the release that started this upgrade/, /v1\.1\/crash\.sql:1 \(statement 1 of v1\.1\)/);
        await db.assertUnchanged(before, 'a refused resume');
      });
    } finally {
      cleanup(dir);
    }
  });
});

describe('temporal-sql-tool: a run SIGKILLed in the middle of a slow version, then re-run', async () => {
  for (const engine of ['mysql8', 'postgres12'] as Engine[]) {
    const skip = await engineAvailability(engine);
    test(`${engine}: the re-run completes the version exactly once`, { skip }, async () => {
      const sleep = engine === 'mysql8' ? 'DO SLEEP(2)' : 'DO $$ BEGIN PERFORM pg_sleep(2); END $$';
      const dir = writeVersionedDir(join(scratchDir('sigkill'), 'versioned'), [
        { version: '1.0', files: { 'base.sql': 'CREATE TABLE s0 (id INT);\n' } },
        { version: '1.1', files: { 'slow.sql': `CREATE TABLE s1 (id INT);\nINSERT INTO s1 (id) VALUES (1);\n${sleep};\nCREATE TABLE s2 (id INT);\n` } },
      ]);
      try {
        await withDb(engine, 'sigkill', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.0']));
          let child: ChildProcess | undefined;
          const run = db.tool(['update-schema', '-d', dir], { onSpawn: (c) => (child = c) });
          // Wait until the run is inside the sleep of v1.1, then kill it.
          const probe = engine === 'mysql8' ? `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP%'` : `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE 'DO $$ BEGIN PERFORM pg_sleep%' AND datname = current_database() AND state = 'active'`;
          const deadline = Date.now() + 10_000;
          while (Number((await db.query(probe))[0]!.n) === 0) {
            assert.ok(Date.now() < deadline, 'the run never reached the slow statement');
            await new Promise((r) => setTimeout(r, 50));
          }
          child!.kill('SIGKILL');
          const killed = await run;
          assert.equal(killed.signal, 'SIGKILL');
          assert.equal(await db.version(), '1.0');
          if (engine === 'mysql8') assert.deepEqual((await checkpoints(db)).map((c) => c[1]), [0, 1]);

          const r = assertOk(await db.tool(['update-schema', '-d', dir]));
          if (engine === 'mysql8') assert.match(r.stdout, /resuming after 2 of 4/);
          assert.equal(await db.version(), '1.1');
          assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0', '1.1']);
          assert.equal(Number((await db.query('SELECT COUNT(*) AS n FROM s1'))[0]!.n), 1, 'the INSERT ran once');
          assert.ok(await db.hasTable('s2'));
        });
      } finally {
        cleanup(dir);
      }
    });
  }
});

describe('temporal-sql-tool: a run SIGKILLed in the middle of a data change (INSERT … SELECT), then re-run at once', async () => {
  const ROWS = 1000;
  const seed = `INSERT INTO src (id) VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i})`).join(', ')};\n`;
  // On PostgreSQL a CONCURRENTLY index makes the version run statement by statement, as on MySQL.
  const FIRST: Record<Engine, string> = {
    sqlite: 'CREATE TABLE first_step (id INT);\n',
    postgres12: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS src_by_id ON src (id);\n',
    mysql8: 'CREATE TABLE first_step (id INT);\n',
  };
  const RUNNING: Record<'postgres12' | 'mysql8', string> = {
    postgres12: `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE 'INSERT INTO dst%' AND state = 'active' AND datname = current_database()`,
    mysql8: `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO dst%'`,
  };

  for (const engine of ['sqlite', 'postgres12', 'mysql8'] as Engine[]) {
    const skip = await engineAvailability(engine);
    test(`${engine}: the killed run's statement never counts twice: ${ROWS * ROWS} rows, v1.1 recorded once`, { skip }, async () => {
      const dir = writeVersionedDir(join(scratchDir('killdml'), 'versioned'), [
        { version: '1.0', files: { 'src.sql': `CREATE TABLE src (id INT NOT NULL);\n${seed}` } },
        { version: '1.1', description: 'copy', files: { 'copy.sql': `${FIRST[engine]}CREATE TABLE dst (id BIGINT NOT NULL);\nINSERT INTO dst (id) SELECT a.id * ${ROWS} + b.id FROM src a CROSS JOIN src b;\nCREATE TABLE after_copy (id INT);\n` } },
      ]);
      try {
        await withDb(engine, 'killdml', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.0']));
          let child: ChildProcess | undefined;
          const run = db.tool(['update-schema', '-d', dir], { onSpawn: (c) => (child = c) });
          // Wait until the INSERT … SELECT is running (SQLite: its rows are filling the WAL), then kill.
          const running = async () => (engine === 'sqlite' ? (existsSync(`${db.name}-wal`) ? statSync(`${db.name}-wal`).size : 0) > 2_000_000 : Number((await db.query(RUNNING[engine as 'postgres12' | 'mysql8']))[0]!.n) > 0);
          const deadline = Date.now() + 30_000;
          while (!(await running())) {
            assert.ok(Date.now() < deadline, 'the run never reached the INSERT … SELECT');
            await new Promise((r) => setTimeout(r, 20));
          }
          child!.kill('SIGKILL');
          assert.equal((await run).signal, 'SIGKILL');
          if (engine !== 'sqlite') {
            // The server goes on with the orphaned statement after its client died: the case at hand.
            assert.ok(await running(), 'the killed run\'s INSERT is still running on the server');
          }
          // Re-run at once: it waits for the schema lock until the orphaned statement has ended.
          const r = assertOk(await db.tool(['update-schema', '-d', dir]));
          if (engine !== 'sqlite') assert.match(r.stdout, /v1\.1: resuming after 2 of 4 statement\(s\) applied by an earlier run/);
          assert.equal(await db.version(), '1.1');
          assert.deepEqual((await db.history()).map((h) => h.new), ['0.0', '1.0', '1.1']);
          assert.equal(Number((await db.query('SELECT COUNT(*) AS n FROM dst'))[0]!.n), ROWS * ROWS, 'the INSERT … SELECT took effect exactly once');
          assert.ok(await db.hasTable('after_copy'));
          assert.deepEqual(await checkpoints(db), []);
        });
      } finally {
        cleanup(dir);
      }
    });
  }
});
