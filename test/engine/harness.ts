/**
 * Engine test harness: a real server (in process, random port) on a fresh database of one plugin
 * (sqlite | postgres12 | mysql8) built by the schema tool, a real worker (NativeConnection + Worker
 * with the bundled test workflows) and a real client. No mocks.
 *
 * Every engine test file runs ONE suite against each plugin:
 *
 *   for (const plugin of ENGINES) describe(plugin, async () => {
 *     const skip = await engineAvailability(plugin);
 *     const env = sharedWorker(plugin, { skip });          // one server + worker for the describe
 *     test('...', { skip }, async () => { const { client, taskQueue } = env(); ... });
 *   });
 *
 * Databases are created with `temporal-sql-tool create-database`, `setup-schema -v 0.0` and
 * `update-schema -d schema/<engine dir>/temporal/versioned`, and dropped afterwards.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { startTemporalServer, type RunningTemporalServer, type TemporalServerOptions } from '../../src/server/server';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';
import { dropDatabase, MYSQL, PG, toolConnectionFlags, uniqueDbName, type Engine } from '../helpers/databases';
import { sqlTool } from '../helpers/processes';
import * as activities from './workflows/activities';
import { shippedVersionedPath } from '../../src/schema/shipped';

export { ENGINES, engineAvailability, type Engine } from '../helpers/databases';
export type Plugin = Engine;

const REPO = resolve(__dirname, '..', '..', '..');

/** Create the default store's tables in a fresh SQLite file from the schema files. */
export function createSqliteSchema(file: string): void {
  const db = new Database(file);
  db.exec(readFileSync(join(REPO, 'schema/sqlite/v3/temporal/schema.sql'), 'utf8'));
  db.close();
}

/** A SQLite file with the schema (fast path, for tests that are about one file on disk). */
export function tempDbFile(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tts-engine-'));
  const file = join(dir, 'temporal.db');
  createSqliteSchema(file);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- databases per plugin
export interface TestDb {
  plugin: Engine;
  config: SqlConnectConfig;
  drop(): Promise<void>;
}

function tool(plugin: Engine, db: string, args: string[]): void {
  const r = sqlTool([...toolConnectionFlags(plugin, db), ...args]);
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} exited ${String(r.status)}\n${r.stderr}\n${r.stdout}`);
}

/** A fresh database of `plugin`, made by the schema tool exactly as an operator would. */
export async function createTestDb(plugin: Engine, purpose = 'eng'): Promise<TestDb> {
  if (plugin === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tts-engine-'));
    const file = join(dir, 'temporal.db');
    tool(plugin, file, ['create-database']);
    tool(plugin, file, ['setup-schema', '-v', '0.0']);
    tool(plugin, file, ['update-schema', '-d', shippedVersionedPath(plugin, 'temporal')]);
    return { plugin, config: { pluginName: 'sqlite', host: '', port: 0, databaseName: file }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = uniqueDbName(purpose);
  tool(plugin, name, ['create-database']);
  tool(plugin, name, ['setup-schema', '-v', '0.0']);
  tool(plugin, name, ['update-schema', '-d', shippedVersionedPath(plugin, 'temporal')]);
  const c = plugin === 'postgres12' ? PG : MYSQL;
  return {
    plugin,
    config: { pluginName: plugin, host: c.host, port: c.port, user: c.user, password: c.password, databaseName: name },
    drop: () => dropDatabase(plugin, name),
  };
}

// ---------------------------------------------------------------- server, worker, client
let runtimeInstalled = false;
let bundle: Promise<WorkflowBundle> | undefined;

export function installRuntime(): void {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
}

export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  return bundle;
}

export type ServerOpts = Partial<Omit<TemporalServerOptions, 'persistence' | 'port'>>;

/** A server on `db` (a TestDb, or the path of a SQLite file). */
export async function startServer(db: TestDb | SqlConnectConfig | string, opts: ServerOpts | number = {}): Promise<RunningTemporalServer> {
  const o: ServerOpts = typeof opts === 'number' ? { longPollTimeoutMs: opts } : opts;
  const persistence: SqlConnectConfig =
    typeof db === 'string' ? { pluginName: 'sqlite', host: '', port: 0, databaseName: db } : 'config' in db ? db.config : db;
  return startTemporalServer({ logLevel: process.env.TTS_LOG_LEVEL ?? 'warn', longPollTimeoutMs: 3000, ...o, persistence, port: 0 });
}

export interface Env {
  client: Client;
  taskQueue: string;
  port: number;
  plugin: Engine;
  server: RunningTemporalServer;
}

let tqCounter = 0;
export const newTaskQueue = (prefix = 'tq'): string => `${prefix}-${process.pid}-${++tqCounter}-${Date.now().toString(36)}`;

export type WorkerOpts = Partial<Omit<WorkerOptions, 'connection' | 'taskQueue'>>;

/** A worker on a running server, polling `taskQueue`, until `p` settles (`opts` as a string: the namespace). */
/** `p` may be a function: it is then called once the worker exists (so the worker is never half-created when p ends). */
export async function runWorkerUntil<T>(port: number, taskQueue: string, p: Promise<T> | (() => Promise<T>), opts: WorkerOpts | string = {}): Promise<T> {
  const o: WorkerOpts = typeof opts === 'string' ? { namespace: opts } : opts;
  installRuntime();
  const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  try {
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), activities, ...o });
    return await worker.runUntil(typeof p === 'function' ? p() : p);
  } finally {
    await connection.close();
  }
}

export interface WithWorkerOpts {
  server?: ServerOpts;
  worker?: WorkerOpts;
}

/**
 * Run `fn` with a fresh database of `plugin`, a server, a worker polling a fresh task queue, and a
 * client; everything is torn down and the database dropped. `withWorker(fn)` means sqlite.
 */
export async function withWorker<T>(fn: (env: Env) => Promise<T>, opts?: WithWorkerOpts): Promise<T>;
export async function withWorker<T>(plugin: Engine, fn: (env: Env) => Promise<T>, opts?: WithWorkerOpts): Promise<T>;
export async function withWorker<T>(
  a: Engine | ((env: Env) => Promise<T>),
  b?: ((env: Env) => Promise<T>) | WithWorkerOpts,
  c: WithWorkerOpts = {},
): Promise<T> {
  const plugin: Engine = typeof a === 'string' ? a : 'sqlite';
  const fn = typeof a === 'function' ? a : (b as (env: Env) => Promise<T>);
  const opts: WithWorkerOpts = typeof a === 'function' ? ((b as WithWorkerOpts | undefined) ?? {}) : c;
  const db = await createTestDb(plugin);
  let server: RunningTemporalServer | undefined;
  let clientConn: Connection | undefined;
  try {
    server = await startServer(db, opts.server);
    const address = `127.0.0.1:${server.port}`;
    const taskQueue = newTaskQueue();
    clientConn = await Connection.connect({ address });
    const client = new Client({ connection: clientConn, namespace: 'default' });
    const s = server;
    return await runWorkerUntil(server.port, taskQueue, fn({ client, taskQueue, port: s.port, plugin, server: s }), opts.worker);
  } finally {
    await clientConn?.close();
    await server?.stop();
    await db.drop();
  }
}

/**
 * One database + server + worker + client shared by the tests of a describe block (before/after
 * hooks). Returns a getter for the environment; `skip` (from engineAvailability) makes it a no-op.
 */
export function sharedWorker(plugin: Engine, opts: WithWorkerOpts & { skip?: string | boolean } = {}): () => Env {
  let env: Env | undefined;
  let db: TestDb | undefined;
  let server: RunningTemporalServer | undefined;
  let clientConn: Connection | undefined;
  let workerConn: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  before(async () => {
    if (opts.skip) return;
    db = await createTestDb(plugin);
    server = await startServer(db, opts.server);
    const address = `127.0.0.1:${server.port}`;
    const taskQueue = newTaskQueue(plugin);
    installRuntime();
    workerConn = await NativeConnection.connect({ address });
    worker = await Worker.create({
      connection: workerConn,
      namespace: 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      ...opts.worker,
    });
    running = worker.run();
    clientConn = await Connection.connect({ address });
    env = { client: new Client({ connection: clientConn, namespace: 'default' }), taskQueue, port: server.port, plugin, server };
  });
  after(async () => {
    // let activities still running finish against a live server (their completions would be
    // retried for seconds against a stopped one), then stop the server: that answers the worker's
    // outstanding long polls at once
    const deadline = Date.now() + 5000;
    while (worker && worker.getStatus().numInFlightActivities > 0 && Date.now() < deadline) await sleep(50);
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await server?.stop();
    await running?.catch(() => undefined);
    await clientConn?.close();
    await workerConn?.close();
    await db?.drop();
  });
  return () => {
    if (!env) throw new Error('sharedWorker: environment not started (skipped, or before() failed)');
    return env;
  };
}

export const uid = (p: string): string => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
