/**
 * A temporal-ts server in a child process, started the production way
 * (`node bin/temporal-ts.js server start --config <yaml>`) on a database prepared with
 * temporal-sql-tool, killed with SIGKILL and restarted on the same database and port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MYSQL, PG, toolConnectionFlags, type Engine } from '../helpers/databases';
import { REPO_ROOT, TEMPORAL_TS, sqlTool } from '../helpers/processes';

const SCHEMA_DIRS: Record<Engine, string> = { sqlite: 'sqlite/v3', postgres12: 'postgresql/v12', mysql8: 'mysql/v8' };

/** create-database, setup-schema -v 0.0, update-schema through every version, for one store. */
export function prepareStore(engine: Engine, db: string, store: 'temporal' | 'visibility'): void {
  const flags = toolConnectionFlags(engine, db);
  for (const args of [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', `schema/${SCHEMA_DIRS[engine]}/${store}/versioned`]]) {
    const r = sqlTool([...flags, ...args]);
    if (r.status !== 0) throw new Error(`temporal-sql-tool ${[...flags, ...args].join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  }
}

function datastoreYaml(engine: Engine, db: string): string {
  if (engine === 'sqlite') return `sql:\n        pluginName: sqlite\n        databaseName: ${db}`;
  const c = engine === 'postgres12' ? PG : MYSQL;
  return `sql:\n        pluginName: ${engine}\n        databaseName: ${db}\n        connectAddr: "${c.host}:${c.port}"\n        user: ${c.user}\n        password: "${c.password}"`;
}

export function writeServerConfig(dir: string, engine: Engine, dbs: { temporal: string; visibility: string }, port: number, shards = 4): string {
  const file = join(dir, `crash-${engine}.yaml`);
  writeFileSync(
    file,
    `log:\n  level: ${process.env.CRASH_LOG_LEVEL ?? 'warn'}\npersistence:\n  defaultStore: default\n  visibilityStore: visibility\n  numHistoryShards: ${shards}\n  datastores:\n    default:\n      ${datastoreYaml(engine, dbs.temporal)}\n    visibility:\n      ${datastoreYaml(engine, dbs.visibility)}\nservices:\n  frontend:\n    rpc:\n      grpcPort: ${port}\n      bindOnIP: 127.0.0.1\nui:\n  enabled: false\n`,
  );
  return file;
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private out = '';
  /** every line the server processes wrote, over all restarts (shown when the test fails) */
  log = '';
  starts = 0;

  constructor(private readonly configFile: string) {}

  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [TEMPORAL_TS, 'server', 'start', '--config', this.configFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    this.out = '';
    const n = this.starts;
    const onData = (d: Buffer): void => {
      this.out += d.toString();
      const lines = d
        .toString()
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => `[server#${n}] ${l}\n`)
        .join('');
      this.log += lines;
      if (process.env.CRASH_SERVER_LOG) appendFileSync(process.env.CRASH_SERVER_LOG, lines);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + timeoutMs;
    let done = false;
    void exited.then(() => (done = true));
    while (!/listening on/.test(this.out)) {
      if (done) throw new Error(`server exited before listening:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`server did not listen within ${timeoutMs} ms:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILL: no shutdown hooks, no flushing; whatever was not committed is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
    this.child = undefined;
  }
}
