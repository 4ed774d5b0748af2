/**
 * Engine test harness: a real server (in process, temp SQLite file, random port), a real worker
 * (NativeConnection + Worker with the bundled test workflows) and a real client. No mocks.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { startTemporalServer } from '../../src/server/server';
import * as activities from './workflows/activities';

const REPO = resolve(__dirname, '..', '..', '..');

/** Create the default store's tables in a fresh SQLite file from the schema files. */
export function createSqliteSchema(file: string): void {
  const db = new Database(file);
  db.exec(readFileSync(join(REPO, 'schema/sqlite/v3/temporal/schema.sql'), 'utf8'));
  db.close();
}

export function tempDbFile(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tts-engine-'));
  const file = join(dir, 'temporal.db');
  createSqliteSchema(file);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let runtimeInstalled = false;
let bundle: Promise<WorkflowBundle> | undefined;

function installRuntime(): void {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
}

function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  return bundle;
}

export async function startServer(file: string, longPollTimeoutMs = 3000) {
  return startTemporalServer({
    persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: file },
    port: 0,
    logLevel: process.env.TTS_LOG_LEVEL ?? 'warn',
    longPollTimeoutMs,
  });
}

export interface Env {
  client: Client;
  taskQueue: string;
  port: number;
}

let tqCounter = 0;

/** Run `fn` with a server, a worker polling a fresh task queue, and a client. Everything is torn down. */
export async function withWorker<T>(fn: (env: Env) => Promise<T>, opts: { file?: string; worker?: Partial<WorkerOptions> } = {}): Promise<T> {
  const db = opts.file ? undefined : tempDbFile();
  const server = await startServer(opts.file ?? db!.file);
  const address = `127.0.0.1:${server.port}`;
  const taskQueue = `tq-${process.pid}-${++tqCounter}`;
  installRuntime();
  const connection = await NativeConnection.connect({ address });
  const clientConn = await Connection.connect({ address });
  try {
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), activities, ...opts.worker });
    const client = new Client({ connection: clientConn, namespace: 'default' });
    return await worker.runUntil(fn({ client, taskQueue, port: server.port }));
  } finally {
    await clientConn.close();
    await connection.close();
    await server.stop();
    db?.cleanup();
  }
}

/** A worker on an existing server (for restart tests). */
export async function runWorkerUntil<T>(port: number, taskQueue: string, p: Promise<T>, namespace = 'default'): Promise<T> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  try {
    const worker = await Worker.create({ connection, namespace, taskQueue, workflowBundle: await workflowBundle(), activities });
    return await worker.runUntil(p);
  } finally {
    await connection.close();
  }
}
