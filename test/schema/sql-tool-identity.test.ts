/**
 * A store is known by its database and by what a directory's versions create, never by folder
 * names. The shipped directories are copied to folders whose names say nothing (or lie: the
 * visibility directory in a folder called temporal/versioned), and every mismatch is refused by
 * update-schema and plan before anything changes, on SQLite, PostgreSQL and MariaDB. A database
 * that already holds the tables a version would create (set to 0.0 over existing tables) is refused
 * with the version its tables match, and adopted with setup-schema --baseline.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, engineAvailability } from '../helpers/databases';
import { ROOT, SHIPPED_DIR, assertOk, assertRefused, cleanup, scratchDir, withDb, writeVersionedDir } from './sql-tool-harness';

/** The shipped temporal and visibility directories, each in a folder named after the other store. */
function misnamedCopies(engine: (typeof ENGINES)[number]): { root: string; temporal: string; visibility: string } {
  const root = scratchDir('misnamed');
  const temporal = join(root, 'visibility', 'versioned');
  const visibility = join(root, 'temporal', 'versioned');
  mkdirSync(join(root, 'visibility'));
  mkdirSync(join(root, 'temporal'));
  cpSync(join(ROOT, SHIPPED_DIR[engine], 'temporal', 'versioned'), temporal, { recursive: true });
  cpSync(join(ROOT, SHIPPED_DIR[engine], 'visibility', 'versioned'), visibility, { recursive: true });
  return { root, temporal, visibility };
}

for (const engine of ENGINES) {
  describe(`temporal-sql-tool knows a store by its tables, not its folder: ${engine}`, async () => {
    const skip = await engineAvailability(engine);

    test('directories in folders named after the other store: each builds its own store; crossed, both are refused and nothing changes', { skip }, async () => {
      const dirs = misnamedCopies(engine);
      try {
        await withDb(engine, 'tstore', async (tdb) => {
          await withDb(engine, 'vstore', async (vdb) => {
            for (const [db, dir] of [
              [tdb, dirs.temporal],
              [vdb, dirs.visibility],
            ] as const) {
              assertOk(await db.tool(['setup-schema', '-v', '0.0']));
              assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.0']));
            }
            assert.ok(await tdb.hasTable('executions'));
            assert.ok(await vdb.hasTable('executions_visibility'));
            const tBefore = await tdb.snapshot();
            const vBefore = await vdb.snapshot();
            for (const cmd of ['update-schema', 'plan']) {
              // The visibility directory (in a folder called temporal/) on the temporal database.
              assertRefused(
                await tdb.tool([cmd, '-d', dirs.visibility]),
                /temporal\/versioned is the visibility store's directory, but .* holds the temporal store; use \.\/schema\/\.\.\.\/temporal\/versioned for this database, or --db the visibility database \(told by their tables, whatever the folders are called/,
              );
              // The temporal directory on the visibility database at an older version: nothing of it may be applied.
              assertRefused(await vdb.tool([cmd, '-d', dirs.temporal]), /visibility\/versioned is the temporal store's directory, but .* holds the visibility store/);
            }
            await tdb.assertUnchanged(tBefore, 'the visibility directory on the temporal database');
            await vdb.assertUnchanged(vBefore, 'the temporal directory on the visibility database');
            // Each still upgrades with its own directory, whatever its folder is called.
            // (to 1.1, a version both stores have: what matters is the directory each is given)
            assertOk(await tdb.tool(['update-schema', '-d', dirs.temporal, '-v', '1.1']));
            assertOk(await vdb.tool(['update-schema', '-d', dirs.visibility, '-v', '1.1']));
            assert.equal(await tdb.version(), '1.1');
            assert.equal(await vdb.version(), '1.1');
          });
        });
      } finally {
        cleanup(dirs.root);
      }
    });

    test('a directory whose tables name no store: a database built from another directory is refused by its tables', { skip }, async () => {
      const root = scratchDir('nostore');
      const ours = writeVersionedDir(join(root, 'a', 'versioned'), [
        { version: '1.0', files: { 'base.sql': 'CREATE TABLE n_one (id INT);\nCREATE TABLE n_two (id INT);\n' } },
        { version: '1.1', files: { 'more.sql': 'CREATE TABLE n_three (id INT);\n' } },
      ]);
      const other = writeVersionedDir(join(root, 'b', 'versioned'), [
        { version: '1.0', files: { 'base.sql': 'CREATE TABLE o_one (id INT);\n' } },
        { version: '1.1', files: { 'more.sql': 'CREATE TABLE o_two (id INT);\n' } },
        { version: '1.2', files: { 'more.sql': 'CREATE TABLE o_three (id INT);\n' } },
      ]);
      try {
        await withDb(engine, 'nostore', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          assertOk(await db.tool(['update-schema', '-d', ours, '-v', '1.0']));
          const before = await db.snapshot();
          for (const cmd of ['update-schema', 'plan']) {
            assertRefused(
              await db.tool([cmd, '-d', other]),
              /is at schema version 1\.0, but it does not have table o_one, which .*b\/versioned gives a database at 1\.0 \(it has 0 of those 1 tables\): the database was not built from this directory\. Use the directory it was built from, or --db the database this directory belongs to/,
            );
            await db.assertUnchanged(before, `${cmd} with another directory of the same versions`);
          }
          assertOk(await db.tool(['update-schema', '-d', ours]));
          assert.ok(await db.hasTable('n_three'));
          assert.equal(await db.hasTable('o_two'), false);
        });
      } finally {
        cleanup(root);
      }
    });

    test('a database set to 0.0 over existing tables: refused before any change, naming the version they match; --baseline adopts it', { skip }, async () => {
      const dir = join(ROOT, SHIPPED_DIR[engine], 'temporal', 'versioned');
      await withDb(engine, 'zeroover', async (db) => {
        // Tables of v1.0 made without the tool (its schema file), then the old advice: setup-schema -v 0.0.
        assertOk(await db.tool(['setup-schema', '-d', '-f', join(dir, 'v1.0', 'schema.sql')]));
        const noVersion = await db.snapshot();
        for (const cmd of ['update-schema', 'plan']) {
          assertRefused(await db.tool([cmd, '-d', dir]), /has \d+ table\(s\) but no schema version: it was made without the schema tool .* setup-schema --baseline X\.Y --schema-dir/);
          await db.assertUnchanged(noVersion, `${cmd} on tables without a version`);
        }
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        const before = await db.snapshot();
        for (const cmd of ['update-schema', 'plan']) {
          assertRefused(
            await db.tool([cmd, '-d', dir]),
            /\(at schema version 0\.0\) does not fit what .*temporal\/versioned would apply: v1\.0 creates table \w+, which is already there/,
            /they match v1\.0 of this directory: record it with setup-schema --baseline 1\.0 --schema-dir .*temporal\/versioned \(it checks the tables first\), then run update-schema/,
          );
          await db.assertUnchanged(before, `${cmd} over existing tables`);
        }
        const adopted = assertOk(await db.tool(['setup-schema', '--baseline', '1.0', '--schema-dir', dir]));
        assert.match(adopted.stdout, /schema version set to 1\.0 \(baseline: (\d+) of the \1 tables of v1\.0 found with their columns, nothing of a later version\)/);
        const r = assertOk(await db.tool(['update-schema', '-d', dir, '-v', '1.1']));
        assert.match(r.stdout, /updating schema 1\.0 -> 1\.1 \(1 version\(s\)\)/);
        assert.equal(await db.version(), '1.1');
        assert.deepEqual(
          (await db.history()).map((h) => `${h.old}->${h.new}`),
          ['0->0.0', '0.0->1.0', '1.0->1.1'],
        );
      });
    });
  });
}
