/**
 * `temporal-ts admin upgrade status` reads where an upgrade stands from the databases, with the next
 * step: no schema, schemas behind (the update-schema command of every store, then the start, each
 * pasteable from anywhere), a finished start (nothing to do), a restart (the latest start's finish
 * time with its own duration, the first activation apart), a schema too new (the versions that ran
 * and the real rewrite state are still shown), and a database a newer minor has run on (the refusal
 * the server would give).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { REPO_ROOT, SQL_TOOL, TEMPORAL_TS, freePort, runCli, sqlTool, startCli } from '../helpers/processes';
import type { UpgradeStatus } from '../../src/upgrade/status';
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';
import { releaseEntries } from '../helpers/releases';

/** the newest release this installation's releases.json lists (a -dev build is not in it) */
const NEWEST = releaseEntries()[releaseEntries().length - 1]!;

const tmp = mkdtempSync(join(tmpdir(), 'admin-status-'));
/** where the operator stands: not the installation */
const elsewhere = mkdtempSync(join(tmpdir(), 'admin-status-operator-'));
after(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

function status(file: string): UpgradeStatus {
  const r = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--db-filename', file, '-o', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as UpgradeStatus;
}

test('bad flags are refused with a sentence', () => {
  for (const args of [[], ['--config', 'a.yaml', '--db-filename', 'b.db']]) {
    const r = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', ...args]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /give the server config with --config FILE, or the dev server database with --db-filename FILE \(one of them\)/);
  }
  const missing = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--config', join(tmp, 'nope.yaml')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /config file .*nope\.yaml does not exist/);
});

test('databases without a schema: both stores are named, with the setup and update commands of each', () => {
  const file = join(tmp, 'empty.db');
  const vis = join(tmp, 'empty-visibility.db');
  for (const db of [file, vis]) assert.equal(sqlTool(['--pl', 'sqlite', '--db', db, 'create-database']).status, 0);
  const s = status(file);
  assert.deepEqual(
    s.stores.map((x) => [x.store, x.current, x.state]),
    [
      ['temporal', null, 'missing'],
      ['visibility', null, 'missing'],
    ],
  );
  assert.equal(s.nextStep, "set up the temporal store's schema, and set up the visibility store's schema, then start the server");
  const dir = (store: string) => join(REPO_ROOT, 'schema', 'sqlite', 'v3', store, 'versioned');
  assert.deepEqual(s.nextCommands, [
    `${SQL_TOOL} --pl sqlite --db ${file} setup-schema -v 0.0`,
    `${SQL_TOOL} --pl sqlite --db ${file} update-schema -d ${dir('temporal')}`,
    `${SQL_TOOL} --pl sqlite --db ${vis} setup-schema -v 0.0`,
    `${SQL_TOOL} --pl sqlite --db ${vis} update-schema -d ${dir('visibility')}`,
    `${TEMPORAL_TS} server start-dev --db-filename ${file}`,
  ]);
  assert.match(
    runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--db-filename', file]).stdout,
    /MISSING: the schema was not set up; the server will refuse to start/,
  );
});

test('a schema behind: the next step is the update-schema command', () => {
  const file = join(tmp, 'behind.db');
  for (const db of [file, join(tmp, 'behind-visibility.db')]) {
    assert.equal(sqlTool(['--pl', 'sqlite', '--db', db, 'create-database']).status, 0);
    assert.equal(sqlTool(['--pl', 'sqlite', '--db', db, 'setup-schema', '-v', '0.0']).status, 0);
  }
  const s = status(file);
  const text = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--db-filename', file]);
  const req = formatVersion(requiredVersion('sqlite', 'temporal'));
  assert.deepEqual(
    s.stores.map((x) => [x.store, x.current, x.required, x.state]),
    [
      ['temporal', '0.0', req, 'behind'],
      ['visibility', '0.0', formatVersion(requiredVersion('sqlite', 'visibility')), 'behind'],
    ],
  );
  const vreq = formatVersion(requiredVersion('sqlite', 'visibility'));
  assert.equal(
    s.nextStep,
    `upgrade the temporal store's schema from 0.0 to ${req}, and upgrade the visibility store's schema from 0.0 to ${vreq}, then start the server`,
  );
  assert.deepEqual(s.nextCommands, [
    `${SQL_TOOL} --pl sqlite --db ${file} update-schema -d ${join(REPO_ROOT, 'schema', 'sqlite', 'v3', 'temporal', 'versioned')}`,
    `${SQL_TOOL} --pl sqlite --db ${join(tmp, 'behind-visibility.db')} update-schema -d ${join(REPO_ROOT, 'schema', 'sqlite', 'v3', 'visibility', 'versioned')}`,
    `${TEMPORAL_TS} server start-dev --db-filename ${file}`,
  ]);
  // Pasted as printed, from another directory: both stores are then current.
  for (const line of s.nextCommands.slice(0, 2)) {
    const r = spawnSync('/bin/sh', ['-c', line], {
      cwd: elsewhere,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    assert.equal(r.status, 0, `${line}\n${r.stdout}${r.stderr}`);
  }
  assert.deepEqual(
    status(file).stores.map((x) => x.state),
    ['ok', 'ok'],
  );
  assert.match(
    text.stdout,
    new RegExp(`temporal +sqlite database .*behind\\.db: 0\\.0 \\(required ${req.replace('.', '\\.')}\\) BEHIND: the server will refuse to start`),
  );
  assert.ok(text.stdout.includes(`then start the server:\n  ${s.nextCommands[0]}\n  ${s.nextCommands[1]}\n  ${s.nextCommands[2]}\n`), text.stdout);
});

test('after a start: the rewrite is done, the version active, nothing to do; after a restart the latest start is shown with its own time and duration', async () => {
  const file = join(tmp, 'dev.db');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    file,
    '--port',
    String(await freePort()),
    '--headless',
    '--num-history-shards',
    '16',
    '--log-level',
    'debug',
  ];
  const startOnce = async () => {
    const server = startCli(TEMPORAL_TS, args);
    try {
      await server.waitFor(/gRPC on/);
      await server.waitFor(/all 16 shards rewritten in \d+ ms/);
    } finally {
      await server.stop();
    }
    return Number(/all 16 shards rewritten in (\d+) ms/.exec(server.output())![1]);
  };
  await startOnce();
  const s = status(file);
  assert.equal(s.shardCount, 16);
  assert.equal(s.shardMetadataRewrite.state, 'done');
  assert.equal(s.shardMetadataRewrite.done, 16);
  assert.equal(s.versionHistory.length, 1);
  assert.equal(s.versionHistory[0]!.serverVersion, s.serverVersion);
  const activated = s.versionHistory[0]!.activatedTime;
  assert.notEqual(activated, null);
  assert.equal(s.dataRewrite.state, 'done', 'a new database has nothing old to rewrite, and says so');
  assert.match(s.nextStep, /^nothing to do: .* is active, its schemas are current and its data rewrite is done$/);
  assert.deepEqual(s.nextCommands, []);

  // A restart rewrites the shards again: the status shows that start's finish with that start's
  // duration (as its log said), and the first activation apart.
  await new Promise((r) => setTimeout(r, 20));
  const ms = await startOnce();
  const again = status(file);
  const m = /^the latest start rewrote them at (\S+) in (\d+) ms; (\S+) active since (\S+)$/.exec(again.shardMetadataRewrite.note);
  assert.ok(m, again.shardMetadataRewrite.note);
  assert.equal(Number(m[2]), ms, 'the duration is the one the latest start logged');
  assert.equal(m[3], s.serverVersion);
  assert.equal(m[4], activated, 'active since the first activation');
  assert.ok(Date.parse(m[1]!) > Date.parse(activated!), `the latest start finished after the first activation: ${again.shardMetadataRewrite.note}`);
  assert.equal(again.versionHistory[0]!.activatedTime, activated);
});

test('a schema too new for this release: the versions that ran and the rewrite state are still shown, and what would run on it', async () => {
  const file = join(tmp, 'dev.db');
  const db = new Database(file);
  const required = requiredVersion('sqlite', 'temporal');
  const newer = `${required.major}.${required.minor + 1}`;
  try {
    // a schema too new for this release (its MinCompatibleVersion is past what it requires): what the server refuses
    db.prepare('UPDATE schema_version SET curr_version = ?, min_compatible_version = ?').run(newer, newer);
    const tooNew = status(file);
    assert.equal(tooNew.stores.find((x) => x.store === 'temporal')!.state, 'incompatible');
    assert.deepEqual(
      tooNew.versionHistory.map((v) => [v.serverVersion, v.activatedTime !== null]),
      [[tooNew.serverVersion, true]],
      'the versions that ran are read on a newer schema too',
    );
    assert.equal(tooNew.shardMetadataRewrite.state, 'done', tooNew.shardMetadataRewrite.note);
    assert.equal(tooNew.dataRewrite.state, 'done', tooNew.dataRewrite.note);
    const esc = (v: string) => v.replace(/\./g, '\\.');
    assert.match(
      tooNew.nextStep,
      new RegExp(
        `^the temporal store's schema ${esc(newer)} needs a server that requires ${esc(newer)} or later; this release requires ${esc(formatVersion(required))}: no release in this installation's releases\\.json \\(it lists releases up to ${esc(NEWEST.version)}, which needs temporal schema ${esc(NEWEST.schema.temporal.version)}\\) needs temporal schema ${esc(newer)}, so a newer release upgraded it: run the release that upgraded it, or a newer one$`,
      ),
    );
    assert.deepEqual(tooNew.nextCommands, []);
    // A newer version recorded in the history is the one to run.
    db.prepare("INSERT INTO server_version_history (cluster_name, server_version, first_started_time, activated_time) VALUES ('active', '9.9.0', ?, ?)").run(
      Date.now(),
      Date.now(),
    );
    assert.match(status(file).nextStep, /the newest version that ran on this database is 9\.9\.0: run 9\.9\.0 or a newer release$/);
    const text = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--db-filename', file]).stdout;
    assert.match(text, /TOO NEW for this release/);
    assert.doesNotMatch(text, /\(none yet\)/);

    // Back to the schema this release requires: the newer minor that ran is the refusal.
    db.prepare("UPDATE schema_version SET curr_version = ?, min_compatible_version = '1.0'").run(formatVersion(required));
  } finally {
    db.close();
  }
  const after9 = status(file);
  assert.match(after9.nextStep, /9\.9\.0 has already run on this database .* restore the backup taken before the upgrade/);
});
