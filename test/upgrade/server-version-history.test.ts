/**
 * The server's version history, through real servers on real databases: each start records its
 * version and, once every shard's metadata is rewritten, marks it active; a skipped minor or a
 * rollback past a minor that ran is refused with the sequential path, and nothing is recorded for
 * it; an interrupted shard rewrite (a SIGKILLed start) is finished by the next start.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTemporalServer } from '../../src/server/server';
import { ensureSchema } from '../../src/schema/auto-setup';
import { silentReporter } from '../../src/schema/reporter';
import { TEMPORAL_TS, freePort, startCli } from '../helpers/processes';

const tmp = mkdtempSync(join(tmpdir(), 'version-history-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Row {
  server_version: string;
  activated_time: number | null;
  data: Buffer | null;
}

function versions(file: string): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT server_version, activated_time, data FROM server_version_history ORDER BY first_started_time, server_version').all() as Row[];
  } finally {
    db.close();
  }
}

const status = (r: Row) => JSON.parse(r.data!.toString('utf8')) as { shardsTotal: number; shardsDone: number; finishedMs?: number };

async function db(name: string): Promise<string> {
  const file = join(tmp, `${name}.db`);
  await ensureSchema({ pluginName: 'sqlite', host: '', port: 0, databaseName: file }, 'temporal', silentReporter);
  return file;
}

async function runAs(file: string, serverVersion: string, numHistoryShards = 8): Promise<void> {
  const s = await startTemporalServer({
    persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: file },
    port: 0,
    serverVersion,
    numHistoryShards,
    logLevel: 'silent',
  });
  await s.stop();
}

describe('server version history', () => {
  test('patch steps and one minor step start; a skipped minor and a rollback are refused and leave no trace', async () => {
    const file = await db('sequence');
    await runAs(file, '0.1.0');
    let rows = versions(file);
    assert.deepEqual(
      rows.map((r) => r.server_version),
      ['0.1.0'],
    );
    assert.notEqual(rows[0]!.activated_time, null, '0.1.0 is active once its shards are rewritten');
    assert.deepEqual({ total: status(rows[0]!).shardsTotal, done: status(rows[0]!).shardsDone }, { total: 8, done: 8 });

    await runAs(file, '0.1.3');
    await assert.rejects(
      runAs(file, '0.3.0'),
      /this is temporal-ts 0\.3\.0, but the database was last run by 0\.1\.3: .* run 0\.2\.x — each until .* then 0\.3\.x/,
    );
    assert.deepEqual(
      versions(file).map((r) => r.server_version),
      ['0.1.0', '0.1.3'],
      'a refused start records nothing',
    );

    await runAs(file, '0.2.0');
    await assert.rejects(runAs(file, '0.1.3'), /0\.2\.0 has already run on this database .* restore the backup taken before the upgrade/);
    rows = versions(file);
    assert.deepEqual(
      rows.map((r) => r.server_version),
      ['0.1.0', '0.1.3', '0.2.0'],
    );
    assert.ok(rows.every((r) => r.activated_time !== null));
  });

  test('the shard count is fixed when the cluster is created', async () => {
    const file = await db('shards');
    await runAs(file, '0.1.0', 8);
    await runAs(file, '0.1.0', 16);
    const rows = versions(file);
    assert.equal(status(rows[0]!).shardsTotal, 8, 'the persisted count wins over the configured one');
    const d = new Database(file, { readonly: true });
    assert.equal((d.prepare('SELECT COUNT(*) AS n FROM shards').get() as { n: number }).n, 8);
    d.close();
  });

  test('a start SIGKILLed during the shard rewrite leaves the version inactive; the next start finishes it', async () => {
    const file = join(tmp, 'killed.db');
    const port = await freePort();
    const args = ['server', 'start-dev', '--db-filename', file, '--port', String(port), '--headless', '--num-history-shards', '4096', '--log-level', 'debug'];
    const first = startCli(TEMPORAL_TS, args);
    await first.waitFor(/shard metadata rewrite: \d+\/4096 shards \(\d+%\)/, 60_000);
    await first.stop('SIGKILL');
    const rows = versions(file);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.activated_time, null, 'not active: the rewrite did not finish');
    if (rows[0]!.data) assert.ok(status(rows[0]!).shardsDone < 4096);

    const second = startCli(TEMPORAL_TS, args);
    try {
      await second.waitFor(/gRPC on/, 60_000);
      assert.match(second.output(), /all 4096 shards rewritten in \d+ ms; version [^ ]+ is active/);
    } finally {
      await second.stop();
    }
    const done = versions(file)[0]!;
    assert.notEqual(done.activated_time, null);
    assert.equal(status(done).shardsDone, 4096);
  });
});
