/**
 * A temporal-ts server in a child process, started the production way
 * (`node bin/temporal-ts.js server start --config <yaml>`) on a database prepared with
 * temporal-sql-tool, killed with SIGKILL and restarted on the same database and port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { Engine } from '../helpers/databases';
import { REPO_ROOT, TEMPORAL_TS } from '../helpers/processes';
import { writeServerConfig as writeTestServerConfig, type TestDatabases } from '../helpers/server-config';

export function writeServerConfig(dir: string, engine: Engine, dbs: TestDatabases, port: number, shards = 4): string {
  return writeTestServerConfig(dir, `crash-${engine}`, engine, dbs, port, {
    numHistoryShards: shards,
    logLevel: process.env.CRASH_LOG_LEVEL ?? 'warn',
    extra: 'ui:\n  enabled: false\n',
  });
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private out = '';
  /** every line the server processes wrote, over all restarts (shown when the test fails) */
  log = '';
  starts = 0;

  constructor(private readonly configFile: string) {}

  /** the running process's pid (undefined when it is not running) */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** what the current process wrote so far */
  output(): string {
    return this.out;
  }

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
