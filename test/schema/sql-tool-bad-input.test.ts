/**
 * Directories and databases that do not fit: every one is refused (exit 1) with a message naming what
 * is wrong and what to do, by both update-schema and plan, and the database is left exactly as it
 * was. Where Temporal's Go tool warns and carries on (a bad dir name, a gap, a directory of the other
 * store, an unknown current version: "found zero updates"), this tool stops.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENGINES, engineAvailability } from '../helpers/databases';
import { ROOT, SHIPPED_DIR, cleanup, copyFixture, scratchDir, TestDb, assertOk, assertRefused, fixture, withDb, writeVersionedDir } from './sql-tool-harness';

const MULTI = fixture('multi');

describe('temporal-sql-tool: bad versioned directories are refused before anything runs', () => {
  let db: TestDb;
  let snapshot: unknown;
  let noVersions: string;
  before(async () => {
    noVersions = join(scratchDir('noversions'), 'no-versions');
    mkdirSync(noVersions);
    writeFileSync(join(noVersions, 'schema.sql'), 'CREATE TABLE t (id INT);\n');
    db = await TestDb.create('sqlite', 'baddirs');
    assertOk(await db.tool(['setup-schema', '-v', '0.0']));
    assertOk(await db.tool(['update-schema', '-d', MULTI, '-v', '1.0']));
    snapshot = await db.snapshot();
  });
  after(async () => {
    await db?.drop();
    if (noVersions) cleanup(dirname(noVersions));
  });

  const cases: { name: string; dir: () => string; expect: RegExp[] }[] = [
    { name: 'missing dir', dir: () => fixture('no-such-dir/versioned'), expect: [/schema directory .*no-such-dir\/versioned does not exist; pass the "versioned" directory of the store, e.g\. \.\/schema\/postgresql\/v12\/temporal\/versioned/] },
    { name: 'a file instead of a dir', dir: () => fixture('multi/v1.0/base.sql'), expect: [/multi\/v1\.0\/base\.sql is a file; pass the "versioned" directory that holds the vX\.Y directories/] },
    { name: 'a dir without version dirs (the store dir instead of its versioned/)', dir: () => fixture('go-format/sqlite/v3/temporal'), expect: [/go-format\/sqlite\/v3\/temporal is the store's directory, not its versioned directory; pass -d .*go-format\/sqlite\/v3\/temporal\/versioned \(the directory that holds the vX\.Y directories\)/] },
    { name: 'an engine dir (schema/sqlite) instead of a store\'s versioned/', dir: () => fixture('go-format/sqlite'), expect: [/go-format\/sqlite is an engine's schema directory \(its v3 holds the stores\); pass a store's versioned directory, e\.g\. -d .*go-format\/sqlite\/v3\/temporal\/versioned/] },
    { name: 'a dir without version dirs', dir: () => noVersions, expect: [/no-versions holds no version directories \(vX\.Y\); is this the "versioned" directory of the store\?/] },
    { name: 'malformed manifest JSON', dir: () => fixture('malformed-json'), expect: [/malformed-json\/v1\.0\/manifest\.json is not valid JSON \(/, /fix it or restore it from the release/] },
    { name: 'manifest without CurrVersion', dir: () => fixture('missing-currversion'), expect: [/missing-currversion\/v1\.0\/manifest\.json: "CurrVersion" must be a non-empty string/] },
    { name: 'CurrVersion differs from the dir name', dir: () => fixture('version-mismatch'), expect: [/version-mismatch\/v1\.0\/manifest\.json: CurrVersion is "1\.1" but the directory is named v1\.0; they must agree/] },
    { name: 'bad dir name v1.x', dir: () => fixture('bad-dir-name'), expect: [/bad-dir-name\/v1\.x: version directories are named vMAJOR\.MINOR \(e\.g\. v1\.2\); rename or remove "v1\.x"/] },
    { name: 'a listed file is missing', dir: () => fixture('missing-file'), expect: [/missing-file\/v1\.0\/manifest\.json lists "nope\.sql" but .*missing-file\/v1\.0\/nope\.sql does not exist; restore it from the release/] },
    { name: 'empty file list without AllowNoCqlFiles', dir: () => fixture('empty-file-list'), expect: [/empty-file-list\/v1\.1\/manifest\.json: SchemaUpdateCqlFiles is empty; list the SQL files of this version, or set "AllowNoCqlFiles": true for a version with no statements/] },
    { name: 'a gap (v1.0, v1.2)', dir: () => fixture('gap'), expect: [/gap has a gap: v1\.0 is followed by v1\.2; a version directory is missing \(restore the directory from the release\)/] },
    { name: 'a statement outside the whitelist (SELECT 1)', dir: () => fixture('not-whitelisted'), expect: [/v1\.1\/q\.sql:2: statements in update files must start with CREATE, ALTER, INSERT, DROP, DO, UPDATE or DELETE \(uppercase\); this one starts with "SELECT"/] },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      for (const cmd of ['update-schema', 'plan']) {
        assertRefused(await db.tool([cmd, '-d', c.dir()]), ...c.expect);
        await db.assertUnchanged(snapshot, `${cmd} -d <${c.name}>`);
      }
    });
  }
});

describe('temporal-sql-tool: a manifest may only name files inside its own version directory', () => {
  // name, what the manifest lists (given the scratch root), what else to create first
  const cases: { name: string; listed: (root: string) => string; make: (root: string, v11: string) => void }[] = [
    { name: 'a relative path that climbs out (../../secret.sql)', listed: () => '../../secret.sql', make: (root) => writeFileSync(join(root, 'secret.sql'), 'DROP TABLE t_base;\n') },
    { name: "a sibling version's file (../v1.0/base.sql)", listed: () => '../v1.0/base.sql', make: () => undefined },
    { name: 'an absolute path', listed: (root) => join(root, 'abs.sql'), make: (root) => writeFileSync(join(root, 'abs.sql'), 'DROP TABLE t_base;\n') },
    {
      name: 'a link to a file outside',
      listed: () => 'link.sql',
      make: (root, v11) => {
        writeFileSync(join(root, 'target.sql'), 'DROP TABLE t_base;\n');
        symlinkSync(join(root, 'target.sql'), join(v11, 'link.sql'));
      },
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const root = scratchDir('confined');
      try {
        const dir = writeVersionedDir(join(root, 'versioned'), [
          { version: '1.0', files: { 'base.sql': 'CREATE TABLE t_base (id INT);\n' } },
          { version: '1.1', files: { 'ok.sql': 'CREATE TABLE t_next (id INT);\n' } },
        ]);
        c.make(root, join(dir, 'v1.1'));
        const manifest = join(dir, 'v1.1', 'manifest.json');
        writeFileSync(manifest, JSON.stringify({ CurrVersion: '1.1', MinCompatibleVersion: '1.0', Description: 'x', SchemaUpdateCqlFiles: ['ok.sql', c.listed(root)] }));
        await withDb('sqlite', 'confined', async (db) => {
          assertOk(await db.tool(['setup-schema', '-v', '0.0']));
          const before = await db.snapshot();
          for (const cmd of ['update-schema', 'plan']) {
            assertRefused(await db.tool([cmd, '-d', dir]), /v1\.1\/manifest\.json lists ".*", (which|a link to .*) (is )?outside .*v1\.1; a version's files must be inside its own directory/);
            await db.assertUnchanged(before, `${cmd} with ${c.name}`);
          }
        });
      } finally {
        cleanup(root);
      }
    });
  }
});

describe('temporal-sql-tool: a directory that does not fit the database is refused', async () => {
  for (const engine of ENGINES) {
    const skip = await engineAvailability(engine);
    test(`${engine}: the other store's directory (visibility dir on a temporal database, from schema/)`, { skip }, async () => {
      await withDb(engine, 'otherstore', async (db) => {
        const base = join(ROOT, SHIPPED_DIR[engine]);
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assertOk(await db.tool(['update-schema', '-d', join(base, 'temporal', 'versioned')]));
        const snapshot = await db.snapshot();
        for (const cmd of ['update-schema', 'plan']) {
          const r = await db.tool([cmd, '-d', join(base, 'visibility', 'versioned')]);
          assertRefused(r, /visibility\/versioned is the visibility store's directory, but .* holds the temporal store; use \.\/schema\/\.\.\.\/temporal\/versioned for this database, or --db the visibility database/);
          await db.assertUnchanged(snapshot, `${cmd} with the visibility dir`);
        }
      });
    });
  }

  test('another engine\'s directory (schema/mysql/v8/... with --pl sqlite), by -d and by -s', async () => {
    await withDb('sqlite', 'otherengine', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      const snapshot = await db.snapshot();
      for (const cmd of ['update-schema', 'plan']) {
        assertRefused(await db.tool([cmd, '-d', join(ROOT, 'schema/mysql/v8/temporal/versioned')]), /mysql\/v8\/temporal\/versioned is a schema directory for mysql8, but the plugin is sqlite; use the directory of your database engine \(schema\/sqlite\/v3\/\.\.\.\) or the right --plugin/);
        assertRefused(await db.tool([cmd, '-d', 'schema/postgresql/v12/visibility/versioned']), /is a schema directory for postgres12, but the plugin is sqlite/);
        assertRefused(await db.tool([cmd, '-s', 'mysql/v8/temporal']), /schema "mysql\/v8\/temporal" \(-s\) is for mysql8, but the plugin is sqlite/);
        await db.assertUnchanged(snapshot, `${cmd} with another engine's dir`);
      }
    });
  });

  test('the database is at a version the directory does not have', async () => {
    await withDb('sqlite', 'unknownversion', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.5']));
      const snapshot = await db.snapshot();
      for (const cmd of ['update-schema', 'plan']) {
        assertRefused(await db.tool([cmd, '-d', MULTI]), /is at schema version 0\.5, but .*multi has no v0\.5 \(it has 1\.0\.\.1\.3\); this is not the directory the database was built from, or it is incomplete/);
        await db.assertUnchanged(snapshot, `${cmd} on a database at 0.5`);
      }
    });
  });

  test('a database without setup-schema: says to run setup-schema -v 0.0 first', async () => {
    await withDb('sqlite', 'nosetup', async (db) => {
      const snapshot = await db.snapshot();
      for (const cmd of ['update-schema', 'plan']) {
        assertRefused(await db.tool([cmd, '-d', MULTI]), /has no schema version yet: run setup-schema -v 0\.0 first, then update-schema/);
        await db.assertUnchanged(snapshot, `${cmd} without setup`);
      }
    });
  });

  test('a database newer than the directory (binaries rolled back): a warning, nothing applied', async () => {
    // The older release's directory: the same versions up to 1.1.
    const older = copyFixture('multi');
    rmSync(join(older, 'v1.2'), { recursive: true });
    rmSync(join(older, 'v1.3'), { recursive: true });
    try {
      await withDb('sqlite', 'newer', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assertOk(await db.tool(['update-schema', '-d', MULTI]));
        const snapshot = await db.snapshot();
        const w = assertOk(await db.tool(['update-schema', '-d', older]));
        assert.match(w.stderr, /warning: .* is at 1\.3, newer than the newest version in .* \(1\.1\); this directory belongs to an older release, nothing to apply/);
        await db.assertUnchanged(snapshot, 'update-schema with an older directory');
        // Another store's (or another project's) directory is not an older release: refused.
        assertRefused(await db.tool(['update-schema', '-d', fixture('go-format/sqlite/v3/temporal/versioned')]), /is at schema version 1\.3, but it does not have table namespaces, table shards, table executions.*, which .*go-format\/sqlite\/v3\/temporal\/versioned gives a database at 1\.1 \(it has 0 of those 3 tables\): the database was not built from this directory/);
        await db.assertUnchanged(snapshot, 'update-schema with an unrelated directory');
      });
    } finally {
      cleanup(older);
    }
  });
});
