/**
 * `temporal-ts server start-dev`: creates and upgrades its own SQLite files, keeps them across
 * restarts with --db-filename, and refuses bad flags with a sentence.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TEMPORAL_TS, freePort, runCli, startCli } from '../helpers/processes';
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';

const tmp = mkdtempSync(join(tmpdir(), 'start-dev-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function storedVersion(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT curr_version AS v FROM schema_version').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

test('start-dev --db-filename creates both stores at the required version and reuses them on restart', async () => {
  const file = join(tmp, 'dev.db');
  for (let round = 0; round < 2; round++) {
    const port = await freePort();
    const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', file, '--port', String(port), '--headless']);
    try {
      await server.waitFor(new RegExp(`gRPC on 127.0.0.1:${port}`));
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    assert.equal(storedVersion(file), formatVersion(requiredVersion('sqlite', 'temporal')));
    assert.equal(storedVersion(join(tmp, 'dev-visibility.db')), formatVersion(requiredVersion('sqlite', 'visibility')));
  }
});

test('start-dev without --db-filename removes its temporary files at exit', async () => {
  const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(await freePort()), '--headless']);
  await server.waitFor(/data in a temporary file/);
  const dir = /a temporary file in (\S+) \(removed at exit\)/.exec(server.output());
  assert.ok(dir, server.output());
  assert.equal(existsSync(join(dir[1]!, 'temporal.db')), true);
  assert.equal(await server.stop(), 0);
  assert.equal(existsSync(dir[1]!), false);
});

test('start-dev refuses bad flags', () => {
  const port = runCli(TEMPORAL_TS, ['server', 'start-dev', '--port', 'abc']);
  assert.equal(port.status, 1);
  assert.match(port.stderr, /--port "abc" is not a port number/);
  const level = runCli(TEMPORAL_TS, ['server', 'start-dev', '--log-level', 'loud']);
  assert.equal(level.status, 1);
  assert.match(level.stderr, /Allowed choices are debug, info, warn, error/);
  const dir = runCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', '/nonexistent-dir/x.db', '--port', '0']);
  assert.equal(dir.status, 1);
  assert.match(dir.stderr, /the directory \/nonexistent-dir does not exist/);
});
