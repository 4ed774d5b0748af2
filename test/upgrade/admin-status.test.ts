/**
 * `temporal-ts admin upgrade status` reads where an upgrade stands from the databases, with the next
 * step: no schema, a schema behind (the exact update-schema command), a finished start (nothing to
 * do), and a database a newer minor has run on (the refusal the server would give).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TEMPORAL_TS, freePort, runCli, sqlTool, startCli } from '../helpers/processes';
import type { UpgradeStatus } from '../../src/upgrade/status';
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';

const tmp = mkdtempSync(join(tmpdir(), 'admin-status-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

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

test('a schema behind: the next step is the update-schema command', () => {
  const file = join(tmp, 'behind.db');
  for (const db of [file, join(tmp, 'behind-visibility.db')]) {
    assert.equal(sqlTool(['--pl', 'sqlite', '--db', db, 'create-database']).status, 0);
    assert.equal(sqlTool(['--pl', 'sqlite', '--db', db, 'setup-schema', '-v', '0.0']).status, 0);
  }
  const s = status(file);
  const req = formatVersion(requiredVersion('sqlite', 'temporal'));
  assert.deepEqual(
    s.stores.map((x) => [x.store, x.current, x.required, x.state]),
    [
      ['temporal', '0.0', req, 'behind'],
      ['visibility', '0.0', formatVersion(requiredVersion('sqlite', 'visibility')), 'behind'],
    ],
  );
  assert.match(s.nextStep, new RegExp(`upgrade the temporal store's schema from 0\\.0 to ${req.replace('.', '\\.')}: temporal-sql-tool`));
  assert.match(s.nextStep, /temporal-sql-tool --pl sqlite --db .*behind\.db update-schema -d \.\/schema\/sqlite\/v3\/temporal\/versioned/);
  const text = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--db-filename', file]);
  assert.match(
    text.stdout,
    new RegExp(`temporal +sqlite database .*behind\\.db: 0\\.0 \\(required ${req.replace('.', '\\.')}\\) BEHIND: the server will refuse to start`),
  );
});

test('after a start: the rewrite is done, the version active, nothing to do; a newer minor that ran is reported as the refusal', async () => {
  const file = join(tmp, 'dev.db');
  const server = startCli(TEMPORAL_TS, [
    'server',
    'start-dev',
    '--db-filename',
    file,
    '--port',
    String(await freePort()),
    '--headless',
    '--num-history-shards',
    '16',
  ]);
  try {
    await server.waitFor(/gRPC on/);
  } finally {
    await server.stop();
  }
  const s = status(file);
  assert.equal(s.shardCount, 16);
  assert.equal(s.shardMetadataRewrite.state, 'done');
  assert.equal(s.shardMetadataRewrite.done, 16);
  assert.equal(s.versionHistory.length, 1);
  assert.equal(s.versionHistory[0]!.serverVersion, s.serverVersion);
  assert.notEqual(s.versionHistory[0]!.activatedTime, null);
  assert.equal(s.dataRewrite.state, 'done', 'a new database has nothing old to rewrite, and says so');
  assert.match(s.nextStep, /^nothing to do: .* is active, its schemas are current and its data rewrite is done$/);

  const db = new Database(file);
  // a schema too new for this release (its MinCompatibleVersion is past what it requires): what the server refuses
  const required = requiredVersion('sqlite', 'temporal');
  const newer = `${required.major}.${required.minor + 1}`;
  db.prepare('UPDATE schema_version SET curr_version = ?, min_compatible_version = ?').run(newer, newer);
  const tooNew = status(file);
  assert.equal(tooNew.stores.find((x) => x.store === 'temporal')!.state, 'incompatible');
  const esc = (v: string) => v.replace('.', '\\.');
  assert.match(
    tooNew.nextStep,
    new RegExp(
      `the temporal store's schema ${esc(newer)} needs a server that requires ${esc(newer)} or later; this release requires ${esc(formatVersion(required))}: run the release that upgraded the schema`,
    ),
  );
  db.prepare("UPDATE schema_version SET curr_version = ?, min_compatible_version = '1.0'").run(formatVersion(required));
  db.prepare("INSERT INTO server_version_history (cluster_name, server_version, first_started_time, activated_time) VALUES ('active', '9.9.0', ?, ?)").run(
    Date.now(),
    Date.now(),
  );
  db.close();
  const after9 = status(file);
  assert.match(after9.nextStep, /9\.9\.0 has already run on this database .* restore the backup taken before the upgrade/);
});
