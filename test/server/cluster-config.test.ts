/**
 * The cluster's configuration (Temporal's keys: services.{history,matching}.rpc, global.membership)
 * and SQLite's single-process rule: a second server process on one SQLite file is refused at start,
 * naming the running one, and changes nothing; a lock left by a SIGKILLed server is taken over.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/server-config';
import { spawn } from 'node:child_process';
import { freePort, runCli, TEMPORAL_TS } from '../helpers/processes';
import { configLoader, POSTGRES_CONFIG_BASE } from '../helpers/server-config';
import { DatabaseInUseError, lockSqliteDatabase } from '../../src/server/sqlite-lock';

const tmp = mkdtempSync(join(tmpdir(), 'cluster-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = configLoader(tmp, POSTGRES_CONFIG_BASE);

describe('cluster config', () => {
  test('only the frontend section: the history and matching APIs take free ports; membership defaults', () => {
    const c = config('services:\n  frontend:\n    rpc: { grpcPort: 7233, bindOnIP: 127.0.0.1 }\n');
    assert.deepEqual(c.cluster, {
      historyPort: 0,
      matchingPort: 0,
      bindOnIP: undefined,
      broadcastAddress: undefined,
      maxJoinDurationMs: 30_000,
      memberExpiryMs: 10_000,
    });
  });

  test("Temporal's keys: role ports (defaults 7234 / 7235 when the section is there), membershipPort accepted, global.membership", () => {
    const c = config(`services:
  frontend: { rpc: { grpcPort: 7233, membershipPort: 6933, bindOnIP: 0.0.0.0 } }
  history: { rpc: { membershipPort: 6934, bindOnIP: 0.0.0.0 } }
  matching: { rpc: { grpcPort: 7335, membershipPort: 6935 } }
global:
  membership: { maxJoinDuration: 45s, broadcastAddress: 10.1.2.3, memberExpiry: 5000ms }
`);
    assert.deepEqual(c.cluster, {
      historyPort: 7234,
      matchingPort: 7335,
      bindOnIP: '0.0.0.0',
      broadcastAddress: '10.1.2.3',
      maxJoinDurationMs: 45_000,
      memberExpiryMs: 5000,
    });
  });

  test('bad values are refused naming the key and what is expected', () => {
    assert.throws(
      () => config('global:\n  membership: { maxJoinDuration: soon }\n'),
      (e: Error) => e instanceof ConfigError && /global\.membership\.maxJoinDuration must be a duration such as "10s"/.test(e.message),
    );
    assert.throws(() => config('global:\n  membership: { memberExpiry: 100ms }\n'), /global\.membership\.memberExpiry must be a duration .* from 1000 ms/);
    assert.throws(
      () => config('services:\n  history: { rpc: { grpcPort: 7300 } }\n  matching: { rpc: { grpcPort: 7300 } }\n'),
      /services\.history\.rpc\.grpcPort and services\.matching\.rpc\.grpcPort are both 7300: each role needs its own port/,
    );
    assert.throws(
      () => config('services:\n  matching: { rpc: { grpcPort: 70000 } }\n'),
      /services\.matching\.rpc\.grpcPort must be a whole number from 0 to 65535/,
    );
  });
});

describe('SQLite serves one server process', () => {
  test('a second process on the same file is refused naming the first; after a SIGKILL its lock is taken over', { timeout: 120_000 }, async () => {
    const db = join(tmp, 'dev.db');
    // another process takes the lock the way a server does at start, and keeps running
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(require.resolve('../../src/server/sqlite-lock'))}).lockSqliteDatabase(${JSON.stringify(db)}, 7233); console.log('locked'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.once('exit', (code) => reject(new Error(`the lock holder exited ${code}`)));
      });
      assert.throws(
        () => lockSqliteDatabase(db, 7244),
        (e: Error) =>
          e instanceof DatabaseInUseError &&
          e.message.includes(`the SQLite database ${db} is in use by another temporal-ts server: pid ${holder.pid} on `) &&
          e.message.includes('gRPC port 7233') &&
          /SQLite serves one server process: stop that one first .* use PostgreSQL or MySQL/.test(e.message),
      );
      // the server start refuses the same way, before it opens anything (exit 1, the sentence on stderr)
      const r = runCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', db, '--port', String(await freePort()), '--headless']);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`is in use by another temporal-ts server: pid ${holder.pid}`));
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      // the lock of a process that is gone is taken over, and released
      const lock = lockSqliteDatabase(db, 7244);
      assert.ok(existsSync(`${db}.server.lock`));
      lock.release();
      assert.equal(existsSync(`${db}.server.lock`), false, 'released');
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
