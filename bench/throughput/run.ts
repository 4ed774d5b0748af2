/**
 * Throughput benchmark: workflows with one no-op activity against a temporal-ts server in its own
 * process, for a fixed time, on SQLite, PostgreSQL and MySQL (the MariaDB of this machine). Prints one
 * JSON line per database (workflows/s, p50/p99 start-to-complete latency, the server's CPU per
 * completed workflow and its RSS), then a table.
 *
 * Usage: npm run bench:throughput -- [--db sqlite,postgres,mysql] [--duration 15] [--warmup 3]
 *          [--concurrency 256] [--worker child|inproc|raw] [--shards 4] [--processes 1]
 *   --worker child   the official TS worker (@temporalio/worker) in its own process (default)
 *   --worker inproc  the official TS worker inside the bench process
 *   --worker raw     raw-worker.ts in its own process: gRPC calls with prepared commands, no SDK
 *                    worker or sandbox, to measure the server alone
 *   --processes N    N server processes on one database (PostgreSQL / MySQL: a cluster, issue 12);
 *                    each frontend gets its own worker (child or raw) and an equal share of the
 *                    client loops; CPU and RSS are summed over the servers (and workers)
 * Env (defaults for the flags): BENCH_DB, BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_CONCURRENCY,
 *   BENCH_WORKER, BENCH_SHARDS, BENCH_PROCESSES; PostgreSQL at PGHOST/PGPORT/PGUSER (127.0.0.1:5432 postgres), MySQL
 *   at MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD (127.0.0.1:3306 root).
 *
 * Each of `concurrency` loops starts a workflow, waits for its result and starts the next, so that
 * many workflows are always in flight. Throughput counts the workflows that complete within the
 * measured window (after the warm-up), wherever they started; the latencies are those of the
 * workflows that both started and completed in it. (Counting only the latter, as this bench did,
 * undercounts badly once a workflow takes a sizeable part of the window: at 5 s per workflow and a
 * 15 s window, the wave in flight at the start and the one cut off at the end were not counted,
 * which made 3-process runs read 0.3-0.9 wf/s while they completed several times more; issue 12.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import type { SqlStatementStats } from '../../src/persistence/sql/statement-stats';
import { benchBundle, createBenchWorker } from './worker';

const REPO = resolve(__dirname, '..', '..', '..');
const SQL_TOOL = join(REPO, 'bin', 'temporal-sql-tool.js');

interface Flags {
  dbs: string[];
  durationS: number;
  warmupS: number;
  concurrency: number;
  worker: 'inproc' | 'child' | 'raw';
  shards: number;
  processes: number;
}

function parseFlags(argv: string[]): Flags {
  const get = (name: string, env: string, def: string): string => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1]!;
    return process.env[env] ?? def;
  };
  const worker = get('worker', 'BENCH_WORKER', 'child');
  if (worker !== 'inproc' && worker !== 'child' && worker !== 'raw') throw new Error(`--worker must be child, inproc or raw, not ${worker}`);
  const f: Flags = {
    dbs: get('db', 'BENCH_DB', 'sqlite,postgres,mysql')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    durationS: Number(get('duration', 'BENCH_DURATION_S', '15')),
    warmupS: Number(get('warmup', 'BENCH_WARMUP_S', '3')),
    concurrency: Number(get('concurrency', 'BENCH_CONCURRENCY', '256')),
    worker,
    shards: Number(get('shards', 'BENCH_SHARDS', '4')),
    processes: Number(get('processes', 'BENCH_PROCESSES', '1')),
  };
  if (!Number.isInteger(f.processes) || f.processes < 1) throw new Error(`--processes must be a positive integer, not ${f.processes}`);
  if (f.processes > 1 && f.dbs.includes('sqlite'))
    throw new Error('--processes > 1 needs PostgreSQL or MySQL (SQLite serves one process): pass --db postgres or --db mysql');
  if (f.processes > 1 && f.worker === 'inproc') throw new Error('--processes > 1 runs one worker process per frontend: use --worker child or raw');
  for (const d of f.dbs) if (d !== 'sqlite' && d !== 'postgres' && d !== 'mysql') throw new Error(`--db takes sqlite, postgres and/or mysql, not ${d}`);
  if (!(f.durationS > 0) || !(f.concurrency >= 1) || !(f.warmupS >= 0)) throw new Error('--duration, --concurrency must be positive');
  return f;
}

// ---------------------------------------------------------------- databases
const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres' };
const MYSQL = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
};

function sqlTool(conn: string[], ...args: string[]): void {
  const r = spawnSync(process.execPath, [SQL_TOOL, ...conn, '-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

interface BenchDb {
  config: Record<string, unknown>;
  cleanup(): void;
}

/** A fresh database at the current schema version, made the way an operator would: create, setup -v 0.0, update. */
function createDb(kind: string): BenchDb {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tts-bench-'));
    const file = join(dir, 'temporal.db');
    const conn = ['--pl', 'sqlite', '--db', file];
    sqlTool(conn, 'create-database');
    sqlTool(conn, 'setup-schema', '-v', '0.0');
    sqlTool(conn, 'update-schema', '-s', 'sqlite/v3/temporal');
    return {
      config: {
        pluginName: 'sqlite',
        host: '',
        port: 0,
        databaseName: file,
        connectAttributes: { synchronous: process.env.BENCH_SQLITE_SYNCHRONOUS ?? 'FULL' },
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `tts_bench_${process.pid}_${Date.now().toString(36)}`;
  const server =
    kind === 'postgres'
      ? { plugin: 'postgres12', ...PG, password: '', dir: 'postgresql/v12/temporal' }
      : { plugin: 'mysql8', ...MYSQL, dir: 'mysql/v8/temporal' };
  const conn = [
    '--pl',
    server.plugin,
    '--ep',
    server.host,
    '-p',
    String(server.port),
    '-u',
    server.user,
    ...(server.password ? ['--pw', server.password] : []),
    '--db',
    name,
  ];
  sqlTool(conn, 'create-database');
  sqlTool(conn, 'setup-schema', '-v', '0.0');
  sqlTool(conn, 'update-schema', '-s', server.dir);
  return {
    config: { pluginName: server.plugin, host: server.host, port: server.port, user: server.user, password: server.password, databaseName: name },
    cleanup: () => sqlTool(conn, 'drop-database', '--force'),
  };
}

// ---------------------------------------------------------------- processes
/** The server's "STATS <json>" lines (answers to SIGUSR2), by child. */
type ServerStats = SqlStatementStats & { memory?: { heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number } };
const statsLines = new WeakMap<ChildProcess, ServerStats[]>();

/** Asks the server for its SQL statement counts (server-process.ts) and waits for the answer. */
async function serverStats(server: ChildProcess): Promise<ServerStats | undefined> {
  const lines = statsLines.get(server)!;
  const before = lines.length;
  server.kill('SIGUSR2');
  for (let i = 0; i < 200 && lines.length === before; i++) await new Promise((r) => setTimeout(r, 25));
  return lines[before];
}

function startChild(script: string, arg: string, readyPrefix: string): Promise<{ child: ChildProcess; line: string }> {
  // BENCH_SERVER_NODE_ARGS / BENCH_WORKER_NODE_ARGS: extra node flags (e.g. --cpu-prof) for the children
  const extra = (script.includes('server') ? process.env.BENCH_SERVER_NODE_ARGS : process.env.BENCH_WORKER_NODE_ARGS) ?? '';
  const child = spawn(process.execPath, [...extra.split(' ').filter(Boolean), join(__dirname, script), arg], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stats: ServerStats[] = [];
  statsLines.set(child, stats);
  return new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('STATS ')) stats.push(JSON.parse(line.slice(6)) as ServerStats);
      else if (line.startsWith(readyPrefix)) res({ child, line });
      else process.stderr.write(`[${script}] ${line}\n`);
    });
    child.on('exit', (code) => rej(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
}

/** With TTS_SQL_STATS_TEXTS=1 on the server: statements per workflow by SQL text, most first (to stderr). */
function printStatementTexts(from: Record<string, number>, to: Record<string, number>, workflows: number): void {
  const rows = Object.entries(to)
    .map(([sql, n]) => [sql, (n - (from[sql] ?? 0)) / Math.max(1, workflows)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  for (const [sql, n] of rows) process.stderr.write(`${n.toFixed(2).padStart(7)}  ${sql}\n`);
}

/** The SQL counters of every member, summed (per-text breakdown only for a single process). */
async function clusterStats(servers: readonly ChildProcess[]): Promise<ServerStats | undefined> {
  const all = await Promise.all(servers.map(serverStats));
  if (all.some((s) => s === undefined)) return undefined;
  if (all.length === 1) return all[0];
  const total = { ...all[0]!, byText: undefined, memory: undefined };
  for (const s of all.slice(1)) {
    total.statements += s!.statements;
    total.roundTrips += s!.roundTrips;
    total.transactions += s!.transactions;
  }
  return total;
}

// ---------------------------------------------------------------- one run
async function runOne(kind: string, f: Flags): Promise<Record<string, unknown>> {
  const db = createDb(kind);
  const servers: ChildProcess[] = [];
  const addresses: string[] = [];
  const workerChildren: ChildProcess[] = [];
  const connections: Connection[] = [];
  let stopWorker: () => Promise<void>;
  try {
    // the first member creates the cluster's metadata; the others join it
    for (let i = 0; i < f.processes; i++) {
      const { child, line } = await startChild('server-process.js', JSON.stringify({ ...db.config, numHistoryShards: f.shards }), 'PORT ');
      servers.push(child);
      addresses.push(`127.0.0.1:${line.slice(5).trim()}`);
    }
    // every member refreshes its view (at most 1 s) and takes its share of the shards
    if (f.processes > 1) await new Promise((r) => setTimeout(r, 3000));
  } catch (err) {
    await Promise.all(servers.map(stopChild));
    db.cleanup();
    throw err;
  }
  const taskQueue = `bench-${kind}-${Date.now()}`;
  const share = Math.ceil(f.concurrency / f.processes);
  if (f.worker === 'child' || f.worker === 'raw') {
    for (const address of addresses) {
      const wopts = { address, taskQueue, concurrency: share };
      workerChildren.push((await startChild(f.worker === 'raw' ? 'raw-worker.js' : 'worker-process.js', JSON.stringify(wopts), 'READY')).child);
    }
    stopWorker = async () => {
      await Promise.all(workerChildren.map(stopChild));
    };
  } else {
    const { worker, connection } = await createBenchWorker({ address: addresses[0]!, taskQueue, concurrency: f.concurrency }, await benchBundle());
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }
  const workerChild = workerChildren[0];
  const clients: Client[] = [];
  for (const address of addresses) {
    const connection = await Connection.connect({ address });
    connections.push(connection);
    clients.push(new Client({ connection, namespace: 'default' }));
  }
  const sum = (pids: ChildProcess[], f: (pid: number) => number): number => pids.reduce((a, c) => a + f(c.pid!), 0);
  try {
    const t0 = performance.now();
    const measureFrom = t0 + f.warmupS * 1000;
    const measureTo = measureFrom + f.durationS * 1000;
    const latencies: number[] = [];
    let errors = 0;
    let seq = 0;
    let completedAfterWarmup = 0;
    let completedInWindow = 0;
    let cpuAtStart = 0;
    let workerCpuAtStart = 0;
    let benchCpuAtStart = 0;
    let statsAtStart: Promise<SqlStatementStats | undefined> = Promise.resolve(undefined);
    const cpuTimer = setTimeout(() => {
      statsAtStart = clusterStats(servers);
      cpuAtStart = sum(servers, cpuSecondsOf);
      if (workerChild) workerCpuAtStart = sum(workerChildren, cpuSecondsOf);
      benchCpuAtStart = cpuSecondsOf(process.pid);
    }, f.warmupS * 1000);
    await Promise.all(
      Array.from({ length: f.concurrency }, async (_, loop) => {
        // the loops are spread over the frontends
        const client = clients[loop % clients.length]!;
        while (performance.now() < measureTo) {
          const started = performance.now();
          try {
            const h = await client.workflow.start('oneActivity', { taskQueue, workflowId: `${taskQueue}-${seq++}`, args: ['x'] });
            await h.result();
          } catch (err) {
            errors++;
            if (errors <= 3) console.error(err);
            continue;
          }
          const done = performance.now();
          if (done >= measureFrom) completedAfterWarmup++;
          if (done >= measureFrom && done <= measureTo) completedInWindow++;
          if (started >= measureFrom && done <= measureTo) latencies.push(done - started);
        }
      }),
    );
    clearTimeout(cpuTimer);
    const serverCpuS = sum(servers, cpuSecondsOf) - cpuAtStart;
    const [s0, s1] = [await statsAtStart, await clusterStats(servers)];
    const workerCpuS = workerChild ? sum(workerChildren, cpuSecondsOf) - workerCpuAtStart : 0;
    const benchCpuS = cpuSecondsOf(process.pid) - benchCpuAtStart;
    const elapsedS = f.durationS + (performance.now() - measureTo) / 1000;
    const mems = servers.map((c) => memoryOf(c.pid!));
    const mem = { rssMb: mems.reduce((a, m) => a + m.rssMb, 0), peakRssMb: mems.reduce((a, m) => a + m.peakRssMb, 0) };
    latencies.sort((a, b) => a - b);
    const p = (q: number): number => +(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN).toFixed(1);
    // every workflow that completed after the warm-up used server CPU in the window, so count them all
    const perWorkflow = (cpuS: number): number => +((cpuS * 1000) / Math.max(1, completedAfterWarmup)).toFixed(2);
    const sqlPerWorkflow = (k: 'statements' | 'roundTrips' | 'transactions'): number | undefined =>
      s0 && s1 ? +((s1[k] - s0[k]) / Math.max(1, completedAfterWarmup)).toFixed(2) : undefined;
    if (s0?.byText && s1?.byText) printStatementTexts(s0.byText, s1.byText, completedAfterWarmup);
    return {
      db: kind,
      processes: f.processes,
      worker: f.worker,
      concurrency: f.concurrency,
      seconds: f.durationS,
      workflows: completedInWindow,
      workflowsPerSecond: +(completedInWindow / f.durationS).toFixed(1),
      /** workflows that started and completed in the window (the latency sample) */
      latencySamples: latencies.length,
      p50ms: p(0.5),
      p99ms: p(0.99),
      serverCpuMsPerWorkflow: perWorkflow(serverCpuS),
      ...(workerChild ? { workerCpuMsPerWorkflow: perWorkflow(workerCpuS) } : {}),
      sqlStatementsPerWorkflow: sqlPerWorkflow('statements'),
      sqlRoundTripsPerWorkflow: sqlPerWorkflow('roundTrips'),
      sqlTransactionsPerWorkflow: sqlPerWorkflow('transactions'),
      serverRssMb: mem.rssMb,
      serverPeakRssMb: mem.peakRssMb,
      // V8's share of the RSS at the end of the window (a single server process only)
      ...(s1?.memory ? { serverHeapUsedMb: s1.memory.heapUsedMb, serverHeapTotalMb: s1.memory.heapTotalMb, serverExternalMb: s1.memory.externalMb } : {}),
      serverCpuPercent: Math.round((serverCpuS / elapsedS) * 100),
      // the bench process: client load generator (+ the worker with --worker inproc)
      benchCpuPercent: Math.round((benchCpuS / elapsedS) * 100),
      ...(workerChild ? { workerCpuPercent: Math.round((workerCpuS / elapsedS) * 100) } : {}),
      errors,
    };
  } finally {
    for (const c of connections) await c.close();
    await stopWorker();
    await Promise.all(servers.map(stopChild));
    db.cleanup();
  }
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  const results = [];
  for (const kind of f.dbs) {
    const r = await runOne(kind, f);
    results.push(r);
    console.log(JSON.stringify(r));
  }
  console.log('');
  console.log(`worker ${f.worker}, ${f.concurrency} in flight, ${f.durationS} s measured, ${f.processes} server process(es)`);
  console.log('db        wf/s     p50 ms   p99 ms   server CPU ms/wf   SQL stmts/wf (trips, txns)   server RSS MB (peak)');
  for (const r of results) {
    console.log(
      `${String(r.db).padEnd(9)} ${String(r.workflowsPerSecond).padStart(7)}  ${String(r.p50ms).padStart(7)}  ${String(r.p99ms).padStart(7)}   ${String(r.serverCpuMsPerWorkflow).padStart(16)}   ${`${String(r.sqlStatementsPerWorkflow)} (${String(r.sqlRoundTripsPerWorkflow)}, ${String(r.sqlTransactionsPerWorkflow)})`.padStart(26)}   ${r.serverRssMb} (${r.serverPeakRssMb})`,
    );
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
