/**
 * temporal-sql-tool as people type it: the command lines of Temporal's "Upgrade the Temporal Server"
 * page (single-dash long flags, --ep/--pl/--db aliases, the retired plugin names, the removed
 * --tls-enable-host-verification), environment variables, per-plugin default ports, the refused
 * --dryrun/-y, bad connection settings, and setup-schema's validations and --overwrite guard.
 * Every refusal is checked for its exit code, for a message that names the problem and the way out,
 * and for leaving the database exactly as it was.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, MYSQL, PG, engineAvailability } from '../helpers/databases';
import { assertOk, assertRefused, fixture, runTool, withDb } from './sql-tool-harness';

const MULTI = fixture('multi');

describe('temporal-sql-tool: command lines of the upgrade page', async () => {
  const pgSkip = await engineAvailability('postgres12');
  const mySkip = await engineAvailability('mysql8');

  test('postgres: --tls-enable-host-verification --ep -p -u -pw --pl postgres -db (single dash) set up and update', { skip: pgSkip }, async () => {
    await withDb('postgres12', 'page', async (db) => {
      const page = ['--tls-enable-host-verification', '--ep', PG.host, '-p', String(PG.port), '-u', PG.user, '-pw', PG.password || 'temporal', '--pl', 'postgres', '-db', db.name];
      const setup = assertOk(await runTool([...page, 'setup-schema', '-v', '0.0']));
      assert.match(setup.stderr, /note: plugin "postgres" means "postgres12"/, 'the alias must say which plugin it means');
      assert.equal(await db.version(), '0.0');
      const update = assertOk(await runTool([...page, 'update-schema', '-d', MULTI]));
      assert.match(update.stdout, /schema is now at 1\.3/);
      assert.equal(await db.version(), '1.3');
      // `-ep` / `-pl` / `-db` with one dash and `--db=` with a value work too.
      const again = assertOk(await runTool(['-ep', PG.host, '-port', String(PG.port), '-u', PG.user, '-pl', 'postgres12', `--db=${db.name}`, 'update', '-d', MULTI]));
      assert.match(again.stdout, /already at 1\.3; nothing to apply/);
    });
  });

  test('mysql: -pw reaches the server: a wrong root password is refused, naming user and what to check; nothing changes', { skip: mySkip }, async () => {
    await withDb('mysql8', 'pw', async (db) => {
      const before = await db.snapshot();
      const r = await runTool(['--ep', MYSQL.host, '-p', String(MYSQL.port), '-u', MYSQL.user, '-pw', 'wrong-password', '--pl', 'mysql', '-db', db.name, 'setup-schema', '-v', '0.0']);
      assertRefused(r, /cannot connect to MySQL at [^ ]+:\d+ \(database "[^"]+", user "root"\)/, /Access denied/, /check --user\/--password/);
      assert.match(r.stderr, /note: plugin "mysql" means "mysql8"/);
      await db.assertUnchanged(before, 'a refused login');
    });
  });

  test('environment variables SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD, SQL_DATABASE stand in for the flags', async (t) => {
    await t.test('postgres12', { skip: pgSkip }, async () => {
      await withDb('postgres12', 'env', async (db) => {
        const env = { SQL_PLUGIN: 'postgres12', SQL_HOST: PG.host, SQL_PORT: String(PG.port), SQL_USER: PG.user, SQL_PASSWORD: PG.password || 'x', SQL_DATABASE: db.name };
        assertOk(await runTool(['setup-schema', '-v', '0.0'], { env }));
        assertOk(await runTool(['update-schema', '-d', MULTI, '-v', '1.1'], { env }));
        assert.equal(await db.version(), '1.1');
      });
    });
    await t.test('mysql8: SQL_PASSWORD is used (a wrong one is refused)', { skip: mySkip }, async () => {
      await withDb('mysql8', 'env', async (db) => {
        const env = { SQL_PLUGIN: 'mysql8', SQL_HOST: MYSQL.host, SQL_PORT: String(MYSQL.port), SQL_USER: MYSQL.user, SQL_DATABASE: db.name };
        const before = await db.snapshot();
        assertRefused(await runTool(['setup-schema', '-v', '0.0'], { env: { ...env, SQL_PASSWORD: 'wrong-password' } }), /Access denied/, /check --user\/--password/);
        await db.assertUnchanged(before, 'a refused login');
        assertOk(await runTool(['setup-schema', '-v', '0.0'], { env: MYSQL.password ? { ...env, SQL_PASSWORD: MYSQL.password } : env }));
        assert.equal(await db.version(), '0.0');
      });
    });
    await t.test('sqlite', async () => {
      await withDb('sqlite', 'env', async (db) => {
        assertOk(await runTool(['setup-schema', '-v', '0.0'], { env: { SQL_PLUGIN: 'sqlite', SQL_DATABASE: db.name } }));
        assert.equal(await db.version(), '0.0');
      });
    });
    await t.test('a flag wins over its environment variable', { skip: pgSkip }, async () => {
      await withDb('postgres12', 'envflag', async (db) => {
        assertOk(await runTool([...db.flags(), 'setup-schema', '-v', '0.0'], { env: { SQL_PLUGIN: 'sqlite', SQL_DATABASE: '/nonexistent/dir/x.db' } }));
        assert.equal(await db.version(), '0.0');
      });
    });
  });

  test('the port default follows the plugin: 5432 for postgres12, 3306 for mysql8 (not 3306 for everything, as in the Go tool)', async (t) => {
    await t.test('postgres12', { skip: pgSkip || (PG.port !== 5432 && 'PostgreSQL is not on 5432 here') }, async () => {
      await withDb('postgres12', 'port', async (db) => {
        assertOk(await runTool(['--pl', 'postgres12', '--ep', PG.host, '-u', PG.user, '--db', db.name, 'setup-schema', '-v', '0.0']));
        assert.equal(await db.version(), '0.0');
      });
      // A database that does not exist: the message shows the port used and what to do.
      const r = await runTool(['--pl', 'postgres12', '--ep', PG.host, '-u', PG.user, '--db', 'tts_sqltool_no_such_db', 'setup-schema', '-v', '0.0']);
      assertRefused(r, new RegExp(`PostgreSQL at ${PG.host.replace(/\./g, '\\.')}:5432`), /does not exist/, /create it first: temporal-sql-tool .*--db tts_sqltool_no_such_db create-database/);
    });
    await t.test('mysql8', { skip: mySkip || (MYSQL.port !== 3306 && 'MySQL is not on 3306 here') }, async () => {
      await withDb('mysql8', 'port', async (db) => {
        assertOk(await runTool(['--pl', 'mysql8', '--ep', MYSQL.host, '-u', MYSQL.user, ...(MYSQL.password ? ['--pw', MYSQL.password] : []), '--db', db.name, 'setup-schema', '-v', '0.0']));
        assert.equal(await db.version(), '0.0');
      });
      const r = await runTool(['--pl', 'mysql8', '--ep', MYSQL.host, '-u', MYSQL.user, '--db', 'tts_sqltool_no_such_db', 'setup-schema', '-v', '0.0']);
      assertRefused(r, new RegExp(`MySQL at ${MYSQL.host.replace(/\./g, '\\.')}:3306`), /Unknown database/, /create it first/);
    });
  });

  test('"-v" before the command prints the tool version (as urfave/cli does), after setup/update it is the schema version', async () => {
    const r = assertOk(await runTool(['-v']));
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  test('a global flag after the command is refused with where to put it; nothing changes', async () => {
    await withDb('sqlite', 'globalafter', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      const before = await db.snapshot();
      const r = await runTool(['--pl', 'sqlite', 'update-schema', '-d', MULTI, '--db', db.name]);
      assertRefused(r, /--database is a global flag: put it before the command "update-schema"/);
      await db.assertUnchanged(before, 'a misplaced flag');
    });
  });
});

describe('temporal-sql-tool: --dryrun / -y are refused and point to plan', () => {
  for (const flag of ['--dryrun', '-y', '-dryrun']) {
    test(`update-schema ${flag}`, async () => {
      await withDb('sqlite', 'dryrun', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assertOk(await db.tool(['update-schema', '-d', MULTI, '-v', '1.0']));
        const before = await db.snapshot();
        const r = await db.tool(['update-schema', '-d', MULTI, flag]);
        assertRefused(r, /--dryrun\/-y is not supported/, /destroyed data \(temporalio\/temporal #392, #1197\)/, /run the same command with "plan" instead of "update-schema": it prints every version, file and statement and changes nothing/);
        await db.assertUnchanged(before, `update-schema ${flag}`);
      });
    });
  }
  test('-y before the command', async () => {
    await withDb('sqlite', 'dryrun', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      const before = await db.snapshot();
      assertRefused(await runTool(['-y', ...db.flags(), 'update-schema', '-d', MULTI]), /run the same command with "plan"/);
      await db.assertUnchanged(before, '-y update-schema');
    });
  });
  test('"-y" as the value of a flag (a password) is not taken for the dry-run flag', async () => {
    await withDb('sqlite', 'dryrun', async (db) => {
      assertOk(await runTool(['-pw', '-y', ...db.flags(), 'setup-schema', '-v', '0.0']));
      assert.equal(await db.version(), '0.0');
    });
  });
});

describe('temporal-sql-tool: bad connection settings are refused before anything changes', async () => {
  const pgSkip = await engineAvailability('postgres12');
  const mySkip = await engineAvailability('mysql8');

  test('unknown plugin names the plugins there are', async () => {
    await withDb('sqlite', 'plugin', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      const before = await db.snapshot();
      const r = await runTool(['--pl', 'oracle', '--db', db.name, 'update-schema', '-d', MULTI]);
      assertRefused(r, /unknown plugin "oracle": use one of sqlite, postgres12, mysql8/, /aliases postgres, postgres12_pgx, mysql/);
      await db.assertUnchanged(before, 'an unknown plugin');
    });
  });

  test('--connect-attributes with a key given twice', { skip: pgSkip }, async () => {
    await withDb('postgres12', 'ca', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      const mid = await db.snapshot();
      const refused = await runTool(['--ca', 'sslmode=disable&sslmode=require', ...db.flags(), 'update-schema', '-d', MULTI]);
      assertRefused(refused, /--connect-attributes "sslmode=disable&sslmode=require": "sslmode" is given twice/);
      const refused2 = await runTool(['--connect-attributes', 'application_name', ...db.flags(), 'update-schema', '-d', MULTI]);
      assertRefused(refused2, /"application_name" is not key=value \(expected e\.g\. sslmode=require/);
      await db.assertUnchanged(mid, 'bad --connect-attributes');
    });
  });

  test('unreachable server (port 1): names host and port and what to check', async (t) => {
    await t.test('postgres12', { skip: pgSkip }, async () => {
      const r = await runTool(['--pl', 'postgres12', '--ep', '127.0.0.1', '-p', '1', '-u', 'postgres', '--db', 'temporal', 'update-schema', '-d', MULTI]);
      assertRefused(r, /cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(database "temporal", user "postgres"\)/, /ECONNREFUSED/, /check --endpoint\/--port and that the server is running/);
    });
    await t.test('mysql8', { skip: mySkip }, async () => {
      const r = await runTool(['--pl', 'mysql8', '--ep', '127.0.0.1', '-p', '1', '-u', 'root', '--db', 'temporal', 'setup-schema', '-v', '0.0']);
      assertRefused(r, /cannot connect to MySQL at 127\.0\.0\.1:1 \(database "temporal", user "root"\)/, /check --endpoint\/--port and that the server is running/);
    });
    await t.test('sqlite: a file that does not exist is not created by setup/update', async () => {
      const r = await runTool(['--pl', 'sqlite', '--db', '/tmp/tts-sqltool-no-such-dir/x.db', 'setup-schema', '-v', '0.0']);
      assertRefused(r, /the directory \/tmp\/tts-sqltool-no-such-dir does not exist/);
    });
  });
});

describe('temporal-sql-tool: setup-schema', async () => {
  for (const engine of ENGINES) {
    const skip = await engineAvailability(engine);
    test(`${engine}: setup-schema -v 0.0 twice is safe (one history row, second run changes nothing)`, { skip }, async () => {
      await withDb(engine, 'setup2', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assert.equal(await db.version(), '0.0');
        assert.deepEqual(await db.history(), [{ old: '0', new: '0.0', md5: '', description: 'initial version' }]);
        assert.deepEqual((await db.tables()).filter((t) => t.startsWith('schema_')), ['schema_update_history', 'schema_version']);
        const before = await db.snapshot();
        const again = assertOk(await db.tool(['setup', '-v', '0.0']));
        assert.match(again.stdout, /already at schema version 0\.0 \(>= 0\.0\); nothing to set up/);
        await db.assertUnchanged(before, 'a second setup-schema -v 0.0');
      });
    });

    test(`${engine}: setup-schema --overwrite without --force and without a terminal is refused; with --force it drops the tables`, { skip }, async () => {
      await withDb(engine, 'overwrite', async (db) => {
        assertOk(await db.tool(['setup-schema', '-v', '0.0']));
        assertOk(await db.tool(['update-schema', '-d', MULTI]));
        const before = await db.snapshot();
        for (const flag of ['-o', '--overwrite']) {
          const r = await db.tool(['setup-schema', '-v', '0.0', flag]);
          assertRefused(r, /--overwrite drops every table of .*: refusing without confirmation; run it on a terminal to be asked, or pass --force/);
          await db.assertUnchanged(before, `setup-schema ${flag} without --force`);
        }
        const forced = assertOk(await db.tool(['setup-schema', '-v', '0.0', '-o', '--force']));
        assert.match(forced.stdout, /dropping \d+ table\(s\) \(--overwrite\)/);
        assert.deepEqual(await db.tables(), ['schema_update_history', 'schema_version']);
        assert.equal(await db.version(), '0.0');
        assert.deepEqual(await db.history(), [{ old: '0', new: '0.0', md5: '', description: 'initial version' }]);
      });
    });
  }

  test('validations: -v with -d, -d without a file, a bad version, -f with -s: refused, nothing changes', async () => {
    await withDb('sqlite', 'setupval', async (db) => {
      assertOk(await db.tool(['setup-schema', '-v', '0.0']));
      assertOk(await db.tool(['update-schema', '-d', MULTI, '-v', '1.1']));
      const before = await db.snapshot();
      const cases: [string[], RegExp][] = [
        [['-v', '0.0', '-d', '-f', fixture('multi/v1.0/base.sql')], /-v\/--version and -d\/--disable-versioning cannot both be given/],
        [['-d'], /-d\/--disable-versioning needs a schema file \(-f\) or a schema name \(-s\) to run/],
        [[], /setup-schema needs -v\/--version \(e\.g\. -v 0\.0\) or -d\/--disable-versioning/],
        [['-v', 'one.two'], /-v\/--version "one\.two" is not a version \(expected e\.g\. 0\.0 or 1\.2\)/],
        [['-v', '1.x'], /-v\/--version "1\.x" is not a version/],
        [['-v', '0.0', '-f', fixture('multi/v1.0/base.sql'), '-s', 'sqlite/v3/temporal'], /-f\/--schema-file and -s\/--schema-name cannot both be given/],
        [['-v', '0.0', '-f', fixture('multi/v1.0/nope.sql')], /schema file .*nope\.sql \(-f\) does not exist/],
        [['-v', '0.0', '-s', 'oracle/v1/temporal'], /unknown schema name "oracle\/v1\/temporal" \(-s\): use one of sqlite\/v3\/temporal/],
        [['-s', 'mysql/v8/temporal'], /schema "mysql\/v8\/temporal" \(-s\) is for mysql8, but the plugin is sqlite/],
        // The database is at 1.1: running a schema file for an older initial version would duplicate it.
        [['-v', '1.0', '-f', fixture('multi/v1.0/base.sql')], /already at schema version 1\.1; running .*base\.sql again would fail or duplicate it\. Use update-schema, or --overwrite/],
      ];
      for (const [args, re] of cases) {
        assertRefused(await db.tool(['setup-schema', ...args]), re);
        await db.assertUnchanged(before, `setup-schema ${args.join(' ')}`);
      }
    });
  });
});
