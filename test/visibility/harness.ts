/**
 * Visibility test harness: a visibility database of any engine made by temporal-sql-tool
 * (create-database, setup-schema -v 0.0, update-schema -d .../visibility/versioned), and a real
 * server (default store on SQLite, visibility store on the engine under test) with a real worker and
 * client of the official SDK.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';
import { startTemporalServer } from '../../src/server/server';
import { dropDatabase, MYSQL, PG, toolConnectionFlags, uniqueDbName, type Engine } from '../helpers/databases';
import { sqlTool } from '../helpers/processes';
import { tempDbFile } from '../engine/harness';

const VIS_DIRS: Record<Engine, string> = {
  sqlite: 'schema/sqlite/v3/visibility/versioned',
  postgres12: 'schema/postgresql/v12/visibility/versioned',
  mysql8: 'schema/mysql/v8/visibility/versioned',
};

function tool(engine: Engine, db: string, args: string[]): void {
  const r = sqlTool([...toolConnectionFlags(engine, db), '-q', ...args]);
  assert.equal(r.status, 0, `temporal-sql-tool ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

export interface VisibilityDb {
  config: SqlConnectConfig;
  cleanup(): Promise<void>;
}

/** A fresh visibility database on `engine`, with the schema applied through the tool. */
export async function makeVisibilityDb(engine: Engine): Promise<VisibilityDb> {
  let dir: string | undefined;
  let name: string;
  let config: SqlConnectConfig;
  if (engine === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'tts-vis-'));
    name = join(dir, 'visibility.db');
    config = { pluginName: 'sqlite', host: '', port: 0, databaseName: name };
  } else {
    name = uniqueDbName('vis');
    const c = engine === 'postgres12' ? PG : MYSQL;
    config = { pluginName: engine, host: c.host, port: c.port, user: c.user, password: c.password || undefined, databaseName: name };
  }
  tool(engine, name, ['create-database']);
  tool(engine, name, ['setup-schema', '-v', '0.0']);
  tool(engine, name, ['update-schema', '-d', VIS_DIRS[engine]]);
  return {
    config,
    async cleanup() {
      if (dir) rmSync(dir, { recursive: true, force: true });
      else await dropDatabase(engine, name);
    },
  };
}

let runtimeInstalled = false;
let bundle: Promise<WorkflowBundle> | undefined;

export interface VisEnv {
  client: Client;
  connection: Connection;
  taskQueue: string;
  port: number;
}

let tq = 0;

/** A server whose default store is SQLite and whose visibility store is `vis`, a worker and a client. */
export async function withVisibilityServer<T>(vis: SqlConnectConfig, fn: (env: VisEnv) => Promise<T>): Promise<T> {
  const db = tempDbFile();
  const server = await startTemporalServer({
    persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: db.file },
    visibility: vis,
    port: 0,
    logLevel: process.env.TTS_LOG_LEVEL ?? 'warn',
    longPollTimeoutMs: 3000,
  });
  const address = `127.0.0.1:${server.port}`;
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  const native = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const taskQueue = `vis-${process.pid}-${++tq}`;
  try {
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: await bundle });
    const client = new Client({ connection, namespace: 'default' });
    return await worker.runUntil(fn({ client, connection, taskQueue, port: server.port }));
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
    db.cleanup();
  }
}

/** Poll `fn` until it returns true (visibility is eventually consistent). */
export async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
