/**
 * `temporal-ts server start --config` checks both stores' schema versions before it serves, on every
 * plugin: no schema, a schema behind (every store that is not ready named in one refusal, with the
 * exact commands to run, which are then pasted into a shell in another directory as printed), a
 * newer schema within MinCompatibleVersion (starts: binary rollback), and one past it (refuses,
 * naming the release that needs it). Bad config files are refused with the key path named.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENGINES, type Engine, dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName } from '../helpers/databases';
import { REPO_ROOT, SQL_TOOL, TEMPORAL_TS, freePort, runCli, sqlTool, startCli } from '../helpers/processes';
import { openSchemaAdmin } from '../../src/persistence/plugins';
import { connectConfig, prepareStore, writeServerConfig, type TestDatabases } from '../helpers/server-config';
import { ENGINE_DIRS, requiredVersion } from '../../src/schema/shipped';
import { packageVersion } from '../../src/common/package-info';
import { formatVersion } from '../../src/schema/version';
import { releaseEntries } from '../helpers/releases';

const tmp = mkdtempSync(join(tmpdir(), 'startup-check-'));
const CURRENT = packageVersion();
/** the newest release releases.json lists (a -dev build is not in it yet) */
const NEWEST = releaseEntries()[releaseEntries().length - 1]!;
after(() => rmSync(tmp, { recursive: true, force: true }));

const writeConfig = (name: string, engine: Engine, dbs: TestDatabases, port: number) =>
  writeServerConfig(tmp, name, engine, dbs, port, { numHistoryShards: 2 });

async function setStoredVersion(engine: Engine, db: string, curr: string, minCompat: string): Promise<void> {
  const admin = await openSchemaAdmin(connectConfig(engine, db));
  try {
    await admin.writeVersion(curr, minCompat);
  } finally {
    await admin.close();
  }
}

/** The command lines of a refusal: its lines that start with this installation's tool. */
const printedCommands = (stderr: string) =>
  stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(SQL_TOOL));

/**
 * Pastes a printed command line into a shell, as an operator would: in a directory of its own (not
 * the installation's) and with no temporal-sql-tool on PATH.
 */
function runPrintedCommand(line: string): void {
  const elsewhere = mkdtempSync(join(tmpdir(), 'operator-'));
  try {
    const r = spawnSync('/bin/sh', ['-c', line], {
      cwd: elsewhere,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    assert.equal(r.status, 0, `printed command failed: ${line}\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
}

for (const engine of ENGINES) {
  describe(`server start --config on ${engine}`, async () => {
    // what this build requires, and a made-up newer version a later release could write
    const required = requiredVersion(engine, 'temporal');
    const req = formatVersion(required);
    const newer = `${required.major}.${required.minor + 1}`;
    const esc = (v: string) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const skip = await engineAvailability(engine);
    const dbs =
      engine === 'sqlite'
        ? { temporal: join(tmp, `${engine}-temporal.db`), visibility: join(tmp, `${engine}-visibility.db`) }
        : { temporal: uniqueDbName('start_tmp'), visibility: uniqueDbName('start_vis') };
    after(async () => {
      if (engine !== 'sqlite' && !skip) for (const db of Object.values(dbs)) await dropDatabase(engine, db);
    });

    test('refuses a database without schema, then one behind, naming every store and printing the commands that fix it', { skip }, async () => {
      for (const db of Object.values(dbs)) assert.equal(sqlTool([...toolConnectionFlags(engine, db), 'create-database']).status, 0);
      const config = writeConfig(`${engine}-a`, engine, dbs, await freePort());
      const schemaDir = (store: string) => esc(join(REPO_ROOT, 'schema', ENGINE_DIRS[engine], store, 'versioned'));

      // Neither store has a schema: one refusal names both, with both stores' commands.
      const none = runCli(TEMPORAL_TS, ['server', 'start', '--config', config]);
      assert.equal(none.status, 1, none.stdout + none.stderr);
      assert.match(none.stderr, /temporal store .* has no schema yet/);
      assert.match(none.stderr, /visibility store .* has no schema yet/);
      const setupLines = printedCommands(none.stderr);
      assert.equal(setupLines.length, 4, none.stderr);
      assert.match(setupLines[0]!, new RegExp(`--db ${esc(dbs.temporal)} setup-schema -v 0\\.0$`));
      assert.match(setupLines[1]!, new RegExp(`--db ${esc(dbs.temporal)} update-schema -d ${schemaDir('temporal')}$`));
      assert.match(setupLines[2]!, new RegExp(`--db ${esc(dbs.visibility)} setup-schema -v 0\\.0$`));
      assert.match(setupLines[3]!, new RegExp(`--db ${esc(dbs.visibility)} update-schema -d ${schemaDir('visibility')}$`));
      runPrintedCommand(setupLines[0]!);

      // The temporal store is behind, the visibility store still has none: both are named again.
      const behind = runCli(TEMPORAL_TS, ['server', 'start', '--config', config]);
      assert.equal(behind.status, 1);
      assert.match(behind.stderr, new RegExp(`temporal store .* is at schema version 0\\.0, but this server needs ${esc(req)}`));
      assert.match(behind.stderr, /visibility store .* has no schema yet/);
      const fixes = printedCommands(behind.stderr);
      assert.equal(fixes.length, 3, behind.stderr);
      assert.match(fixes[0]!, new RegExp(`update-schema -d ${schemaDir('temporal')}$`));
      for (const l of fixes) runPrintedCommand(l);

      const server = startCli(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
      try {
        await server.waitFor(/listening on/);
        assert.match(server.output(), new RegExp(`temporal store: .* at schema version ${esc(req)} \\(required ${esc(req)}\\)`));
      } finally {
        assert.equal(await server.stop(), 0);
      }
    });

    test('starts on a newer schema within MinCompatibleVersion and refuses one past it', { skip }, async () => {
      const config = writeConfig(`${engine}-b`, engine, dbs, await freePort());
      await setStoredVersion(engine, dbs.temporal, newer, '1.0');
      const server = startCli(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
      try {
        await server.waitFor(/listening on/);
      } finally {
        await server.stop();
      }
      await setStoredVersion(engine, dbs.temporal, newer, newer);
      const r = runCli(TEMPORAL_TS, ['server', 'start', '--config', config]);
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `at schema version ${esc(newer)}, which is compatible only with servers that need ${esc(newer)} or later; this server \\(temporal-ts ${esc(CURRENT)}\\) needs ${esc(req)}`,
        ),
      );
      // No release this installation knows needs it (the schema was made up above): said so, with what it knows.
      assert.match(
        r.stderr,
        new RegExp(
          `No release in this installation's releases\\.json \\(it lists releases up to ${esc(NEWEST.version)}, which needs temporal schema ${esc(NEWEST.schema.temporal.version)}\\)`,
        ),
      );
      assert.deepEqual(printedCommands(r.stderr), [], 'no command of this release can fix a schema too new for it');
      // With a release feed that lists the release needing it, the refusal names that release.
      const feed = join(tmp, `${engine}-feed.json`);
      writeFileSync(
        feed,
        JSON.stringify({
          product: 'temporal-ts',
          releases: [
            {
              version: '0.9.0',
              date: '2027-06-01',
              schema: { temporal: { version: newer, upgradeRequired: true }, visibility: { version: req, upgradeRequired: false } },
              dataFormats: [],
              notes: '',
            },
          ],
        }),
      );
      const withFeed = writeServerConfig(tmp, `${engine}-feed`, engine, dbs, await freePort(), {
        numHistoryShards: 2,
        extra: `upgrade:\n  releaseFeed: ${JSON.stringify(feed)}\n`,
      });
      const named = runCli(TEMPORAL_TS, ['server', 'start', '--config', withFeed]);
      assert.equal(named.status, 1);
      assert.match(
        named.stderr,
        new RegExp(
          `The temporal store's schema ${esc(newer)} is the one temporal-ts 0\\.9\\.0 needs \\(says the release feed ${esc(feed)}\\): run 0\\.9\\.0 or a newer release`,
        ),
      );
      await setStoredVersion(engine, dbs.temporal, req, '1.0');
    });
  });
}

test('a store with tables but no schema version (made without the tool): refused, printing --baseline; the printed commands with the version make it start', async () => {
  const dbs = { temporal: join(tmp, 'untracked-temporal.db'), visibility: join(tmp, 'untracked-visibility.db') };
  prepareStore('sqlite', dbs.visibility, 'visibility');
  // The temporal store's tables, as the shipped schema.sql makes them, and no bookkeeping.
  const db = new Database(dbs.temporal);
  try {
    db.exec(readFileSync(join(REPO_ROOT, 'schema', 'sqlite', 'v3', 'temporal', 'schema.sql'), 'utf8'));
  } finally {
    db.close();
  }
  const config = writeConfig('untracked', 'sqlite', dbs, await freePort());
  const r = runCli(TEMPORAL_TS, ['server', 'start', '--config', config]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /the temporal store \(sqlite database .*untracked-temporal\.db\) has \d+ table\(s\) but no schema version: it was made without the schema tool/,
  );
  const lines = printedCommands(r.stderr);
  assert.equal(lines.length, 2, r.stderr);
  const schemaDir = join(REPO_ROOT, 'schema', 'sqlite', 'v3', 'temporal', 'versioned').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  assert.match(lines[0]!, new RegExp(`setup-schema --baseline X\\.Y --schema-dir ${schemaDir}$`));
  runPrintedCommand(lines[0]!.replace('X.Y', formatVersion(requiredVersion('sqlite', 'temporal'))));
  runPrintedCommand(lines[1]!);
  const server = startCli(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
  try {
    await server.waitFor(/listening on/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

describe('server start with a bad config', () => {
  const cases: [string, string, RegExp][] = [
    ['missing file', '', /config file .* does not exist/],
    ['not YAML', 'persistence: [unclosed', /is not valid YAML/],
    ['no persistence', 'services: {}\n', /persistence must be a mapping/],
    [
      'unknown store name',
      'persistence:\n  defaultStore: nope\n  visibilityStore: v\n  datastores:\n    v:\n      sql: {pluginName: sqlite, databaseName: x.db}\n',
      /persistence.defaultStore names "nope", but persistence.datastores has only v/,
    ],
    [
      'unknown plugin',
      'persistence:\n  defaultStore: d\n  visibilityStore: v\n  datastores:\n    d:\n      sql: {pluginName: oracle, databaseName: x}\n    v:\n      sql: {pluginName: sqlite, databaseName: y.db}\n',
      /persistence.datastores.d.sql.pluginName: unknown plugin "oracle"/,
    ],
    [
      'no databaseName',
      'persistence:\n  defaultStore: d\n  visibilityStore: v\n  datastores:\n    d:\n      sql: {pluginName: sqlite}\n    v:\n      sql: {pluginName: sqlite, databaseName: y.db}\n',
      /persistence.datastores.d.sql.databaseName is missing/,
    ],
    [
      'cassandra',
      'persistence:\n  defaultStore: d\n  visibilityStore: v\n  datastores:\n    d:\n      cassandra: {hosts: x}\n    v:\n      sql: {pluginName: sqlite, databaseName: y.db}\n',
      /cassandra: temporal-ts stores data in SQL databases only/,
    ],
    [
      'one database for both stores',
      'persistence:\n  defaultStore: d\n  visibilityStore: v\n  datastores:\n    d:\n      sql: {pluginName: postgres12, databaseName: t, connectAddr: "h:5432"}\n    v:\n      sql: {pluginName: postgres12, databaseName: t, connectAddr: "h:5432"}\n',
      /point at the same database "t"/,
    ],
    [
      'bad maxConns',
      'persistence:\n  defaultStore: d\n  visibilityStore: v\n  datastores:\n    d:\n      sql: {pluginName: postgres12, databaseName: t, connectAddr: "h:5432", maxConns: 0}\n    v:\n      sql: {pluginName: sqlite, databaseName: y.db}\n',
      /persistence.datastores.d.sql.maxConns must be a whole number from 1 to 1000 \(got 0\)/,
    ],
    [
      'bad port',
      'persistence:\n  defaultStore: d\n  visibilityStore: v\n  datastores:\n    d:\n      sql: {pluginName: sqlite, databaseName: x.db}\n    v:\n      sql: {pluginName: sqlite, databaseName: y.db}\nservices:\n  frontend:\n    rpc:\n      grpcPort: 99999\n',
      /services.frontend.rpc.grpcPort must be a whole number from 1 to 65535/,
    ],
  ];
  for (const [name, yaml, expected] of cases) {
    test(name, () => {
      const file = join(tmp, `bad-${name.replace(/\W+/g, '-')}.yaml`);
      if (yaml) writeFileSync(file, yaml);
      const r = runCli(TEMPORAL_TS, ['server', 'start', '--config', file]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, expected);
    });
  }
});

test('a port in use is refused before any upgrade work: no version recorded, no shard taken', async () => {
  const dbs = { temporal: join(tmp, 'busy-temporal.db'), visibility: join(tmp, 'busy-visibility.db') };
  for (const store of ['temporal', 'visibility'] as const) prepareStore('sqlite', dbs[store], store);
  const port = await freePort();
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
  try {
    const config = writeConfig('busy', 'sqlite', dbs, port);
    const r = runCli(TEMPORAL_TS, ['server', 'start', '--config', config]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`127\\.0\\.0\\.1:${port} is already in use: is another server \\(the version you are replacing\\?\\) still running there\\? Stop it first`),
    );
    const db = new Database(dbs.temporal, { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT server_version FROM server_version_history').all(), [], 'no version recorded');
      assert.deepEqual(db.prepare('SELECT shard_id FROM shards').all(), [], 'no shard acquired');
    } finally {
      db.close();
    }
  } finally {
    await new Promise<void>((r) => squatter.close(() => r()));
  }
});
