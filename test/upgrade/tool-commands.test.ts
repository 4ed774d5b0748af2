/**
 * The command lines the server and `admin upgrade status` print are pasteable as they are: a POSIX
 * shell given one of them runs this installation's tool with exactly the intended words, from any
 * directory (absolute tool and schema paths, relative config paths made absolute, odd characters
 * quoted), and no password is ever printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/processes';
import { setupSchemaCommands, shellQuote, sqlToolPath, temporalTsCommand, toolCommand, updateSchemaCommand } from '../../src/upgrade/tool-commands';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';

/** The words a POSIX shell makes of `line` (printed one per line by printf). */
function shellWords(line: string): string[] {
  // `line` stands where a command would; printf prints each word the shell made of it.
  const r = spawnSync('/bin/sh', ['-c', `set -- ${line}; printf '%s\\n' "$@"`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '').split('\n');
}

test('shell quoting: safe words stay as they are, everything else comes back intact from a shell', () => {
  assert.equal(shellQuote('/opt/temporal-ts/bin/temporal-sql-tool.js'), '/opt/temporal-ts/bin/temporal-sql-tool.js');
  for (const word of ["it's", 'a b', '$HOME', 'x;rm -rf /', 'back\\slash', '`id`', 'a&b', '"q"', '*']) {
    assert.deepEqual(shellWords(shellQuote(word)), [word], word);
  }
});

test('a PostgreSQL store with TLS, connect attributes and a password: every flag, absolute paths, no password', () => {
  const cfg: SqlConnectConfig = {
    pluginName: 'postgres12',
    host: 'db.internal',
    port: 5433,
    user: 'temporal',
    password: 's3cret',
    databaseName: 'temporal',
    connectAttributes: { sslmode: 'verify-full', application_name: 'a b' },
    tls: { enabled: true, certFile: 'certs/client.pem', keyFile: 'certs/client.key', caFile: '/etc/ca.pem', serverName: 'db', disableHostVerification: true },
  };
  const line = updateSchemaCommand(cfg, 'temporal');
  assert.ok(!line.includes('s3cret'), line);
  assert.deepEqual(shellWords(line), [
    join(REPO_ROOT, 'bin', 'temporal-sql-tool.js'),
    '--tls',
    '--tls-cert-file',
    resolve('certs/client.pem'),
    '--tls-key-file',
    resolve('certs/client.key'),
    '--tls-ca-file',
    '/etc/ca.pem',
    '--tls-server-name',
    'db',
    '--tls-disable-host-verification',
    '--ep',
    'db.internal',
    '-p',
    '5433',
    '-u',
    'temporal',
    '--ca',
    'sslmode=verify-full&application_name=a%20b',
    '--pl',
    'postgres12',
    '--db',
    'temporal',
    'update-schema',
    '-d',
    join(REPO_ROOT, 'schema', 'postgresql', 'v12', 'temporal', 'versioned'),
  ]);
});

test('a SQLite store: the file made absolute, the setup commands in order, and the tool at an absolute path that exists', () => {
  const cfg: SqlConnectConfig = { pluginName: 'sqlite', host: '', port: 0, databaseName: "data/my db's.db" };
  const [create, setup, update] = setupSchemaCommands(cfg, 'visibility', { createDatabase: true }).map(shellWords);
  const db = resolve("data/my db's.db");
  assert.deepEqual(create, [sqlToolPath(), '--pl', 'sqlite', '--db', db, 'create-database']);
  assert.deepEqual(setup, [sqlToolPath(), '--pl', 'sqlite', '--db', db, 'setup-schema', '-v', '0.0']);
  assert.deepEqual(update!.slice(-2), ['-d', join(REPO_ROOT, 'schema', 'sqlite', 'v3', 'visibility', 'versioned')]);
  assert.equal(setupSchemaCommands(cfg, 'visibility', { createDatabase: false }).length, 2);
  assert.ok(isAbsolute(sqlToolPath()) && existsSync(sqlToolPath()));
  assert.ok(existsSync(update!.at(-1)!), 'the schema directory printed exists');
  assert.equal(toolCommand(cfg, ['plan']).split(' ')[0], sqlToolPath());
});

test('a printed command runs from another directory, with no temporal-sql-tool on PATH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paste-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'elsewhere-'));
  try {
    const cfg: SqlConnectConfig = { pluginName: 'sqlite', host: '', port: 0, databaseName: join(dir, 'pasted.db') };
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
    for (const line of [...setupSchemaCommands(cfg, 'temporal', { createDatabase: true }), temporalTsCommand(['--version'])]) {
      const r = spawnSync('/bin/sh', ['-c', line], { cwd: elsewhere, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `${line}\n${r.stdout}${r.stderr}`);
    }
    const status = spawnSync('/bin/sh', ['-c', temporalTsCommand(['admin', 'upgrade', 'status', '--db-filename', join(dir, 'pasted.db'), '-o', 'json'])], {
      cwd: elsewhere,
      env,
      encoding: 'utf8',
    });
    const s = JSON.parse(status.stdout) as { stores: { store: string; state: string }[] };
    assert.equal(s.stores.find((x) => x.store === 'temporal')!.state, 'ok', 'the pasted setup and update brought the store to the required version');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
