/**
 * Two update-schema runs at once against one database (two schema jobs started together, which
 * Temporal's Go tool does nothing about): the second waits for the schema lock, says who holds it,
 * and then finds nothing left to do. Every version is applied exactly once.
 *
 * PostgreSQL and MySQL: a version with a slow statement keeps the first run busy (pg_sleep inside a
 * DO block; MySQL's `DO SLEEP(2)` is a DO statement, which the whitelist allows). SQLite has no
 * sleep, so the lock file `<db>.schema-lock` is written by the test for a live process.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { type Engine, engineAvailability } from '../helpers/databases';
import { type TestDb, type ToolResult, assertOk, cleanup, scratchDir, withDb, writeVersionedDir } from './sql-tool-harness';

const SLOW: Record<'postgres12' | 'mysql8', string> = {
  postgres12: 'DO $$ BEGIN PERFORM pg_sleep(2); END $$;',
  mysql8: 'DO SLEEP(2);',
};
const HOLDER: Record<'postgres12' | 'mysql8', RegExp> = {
  postgres12: /held by PostgreSQL backend pid \d+ \(temporal-ts/,
  mysql8: /held by MySQL connection \d+ \(user root from /,
};

function slowDir(sql: string): string {
  return writeVersionedDir(join(scratchDir('concurrent'), 'versioned'), [
    { version: '1.0', files: { 'base.sql': 'CREATE TABLE c0 (id INT);\n' } },
    { version: '1.1', description: 'slow', files: { 'slow.sql': `CREATE TABLE c1 (id INT);\n${sql}\nINSERT INTO c1 (id) VALUES (1);\n` } },
  ]);
}

async function assertAppliedOnce(db: TestDb): Promise<void> {
  assert.equal(await db.version(), '1.1');
  assert.deepEqual((await db.history()).map((h) => `${h.old}->${h.new}`), ['0->0.0', '0.0->1.0', '1.0->1.1'], 'each version applied exactly once');
  assert.equal(Number((await db.query('SELECT COUNT(*) AS n FROM c1'))[0]!.n), 1, 'the INSERT of v1.1 ran once');
}

describe('temporal-sql-tool: two update-schema runs at once', async () => {
  for (const engine of ['postgres12', 'mysql8'] as const satisfies readonly Engine[]) {
    const skip = await engineAvailability(engine);
    test(`${engine}: the second waits for the schema lock, names the holder, then has nothing to do`, { skip }, async () => {
      const dir = slowDir(SLOW[engine]);
      try {
        await withDb(engine, 'concurrent', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          const started = Date.now();
          const results = await Promise.all([db.tool(['update-schema', '-d', dir]), db.tool(['update-schema', '-d', dir])]);
          for (const r of results) assertOk(r);
          const waited = results.filter((r) => /waiting for the schema lock/.test(r.stdout));
          assert.equal(waited.length, 1, `exactly one run waits:\n${results.map((r) => r.stdout).join('\n---\n')}`);
          const [waiter] = waited as [ToolResult];
          const worker = results.find((r) => r !== waiter)!;
          assert.match(waiter.stdout, new RegExp(`waiting for the schema lock of ${engine} database "${db.name}" at [^:]+:\\d+: ${HOLDER[engine].source}`));
          assert.match(waiter.stdout, /already at 1\.1; nothing to apply/, 'the run that waited plans after the other finished');
          assert.doesNotMatch(waiter.stdout, /updating schema/);
          assert.match(worker.stdout, /updating schema 0\.0 -> 1\.1 \(2 version\(s\)\)/);
          assert.ok(Date.now() - started >= 2000);
          await assertAppliedOnce(db);
        });
      } finally {
        cleanup(dir);
      }
    });
  }

  test('sqlite: runs wait while a live process holds <db>.schema-lock, then one applies and the other has nothing to do', async () => {
    const dir = writeVersionedDir(join(scratchDir('concurrent'), 'versioned'), [
      { version: '1.0', files: { 'base.sql': 'CREATE TABLE c0 (id INT);\n' } },
      { version: '1.1', files: { 'next.sql': 'CREATE TABLE c1 (id INT);\nINSERT INTO c1 (id) VALUES (1);\n' } },
    ]);
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await withDb('sqlite', 'concurrent', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        const lockFile = `${db.name}.schema-lock`;
        const since = new Date().toISOString();
        writeFileSync(lockFile, JSON.stringify({ pid: holder.pid, host: hostname(), since }));
        const before = await db.snapshot();
        const runs = Promise.all([db.tool(['update-schema', '-d', dir]), db.tool(['update-schema', '-d', dir])]);
        // long enough for both tools to start and find the lock on a busy machine (1.5 s was not, at load 15)
        await new Promise((r) => setTimeout(r, 6000));
        await db.assertUnchanged(before, 'runs waiting for the lock');
        rmSync(lockFile);
        const results = await runs;
        for (const r of results) {
          assertOk(r);
          assert.match(r.stdout, new RegExp(`waiting for the schema lock of sqlite database ${db.name}: held by process ${String(holder.pid)} on ${hostname()} \\(since ${since}; lock file ${lockFile}\\)`));
        }
        assert.equal(results.filter((r) => /already at 1\.1; nothing to apply/.test(r.stdout)).length, 1, results.map((r) => r.stdout).join('\n---\n'));
        assert.equal(results.filter((r) => /updating schema 0\.0 -> 1\.1/.test(r.stdout)).length, 1);
        await assertAppliedOnce(db);
        assert.equal(existsSync(lockFile), false, 'the lock file is removed after the run');
      });
    } finally {
      holder.kill('SIGKILL');
      cleanup(dirname(dir));
    }
  });

  test('sqlite: a lock file left by a process that no longer exists is taken over', async () => {
    const dir = writeVersionedDir(join(scratchDir('stale'), 'versioned'), [{ version: '1.0', files: { 'base.sql': 'CREATE TABLE c0 (id INT);\n' } }]);
    try {
      await withDb('sqlite', 'stalelock', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        const gone = spawn('true', [], { stdio: 'ignore' });
        await new Promise((r) => gone.on('exit', r));
        writeFileSync(`${db.name}.schema-lock`, JSON.stringify({ pid: gone.pid, host: hostname(), since: new Date().toISOString() }));
        const r = assertOk(await db.tool(['update-schema', '-d', dir]));
        assert.doesNotMatch(r.stdout, /waiting for the schema lock/);
        assert.equal(await db.version(), '1.0');
        assert.equal(existsSync(`${db.name}.schema-lock`), false);
      });
    } finally {
      cleanup(dirname(dir));
    }
  });
});
