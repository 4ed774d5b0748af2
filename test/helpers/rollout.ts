/**
 * Pieces of the staged roll-out test (test/upgrade/rollout.test.ts) that are not the procedure itself:
 * a direct read of server_version_history (the bad path must prove nothing was written, without the
 * server's own code), and `temporal-ts simulate` as a background process whose live progress lines
 * the test can wait on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { type Engine, MYSQL, PG } from './databases';
import { REPO_ROOT, TEMPORAL_TS, startCli, type LongRunning, type RunResult } from './processes';
import type { SimulateSummary } from '../../src/simulate/runner';

/**
 * runCli without blocking this process: while a tool runs, the test keeps reading the servers' and
 * the simulation's output (a blocked reader would stall a server writing its log to a full pipe, and
 * would show stale progress).
 */
export function runCliAsync(bin: string, args: readonly string[], cwd: string = REPO_ROOT, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

/** `s` as a literal inside a RegExp. */
export const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Runs a temporal-sql-tool command line (`bin`, from `cwd`) and fails with its output if it does not exit 0. */
export async function sqlToolOk(bin: string, cwd: string, args: readonly string[]): Promise<string> {
  const r = await runCliAsync(bin, args, cwd);
  assert.equal(r.status, 0, `temporal-sql-tool ${args.join(' ')} (cwd ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** `server start --config` of `bin` (run from `cwd`), once it listens; killed and named by `who` if it does not within `timeoutMs`. */
export async function startServer(bin: string, config: string, cwd: string, who: string, timeoutMs: number): Promise<LongRunning> {
  const s = startCli(bin, ['server', 'start', '--config', config, '--headless'], {}, cwd);
  try {
    await s.waitFor(/listening on/, timeoutMs);
  } catch (err) {
    await s.stop('SIGKILL');
    throw new Error(`${who} did not start: ${(err as Error).message}`, { cause: err });
  }
  return s;
}

/**
 * What a failed simulation needs to be understood: for each workflow it calls lost (acknowledged, no
 * result), `workflow describe` and `workflow show` through a live frontend, and the servers' log lines
 * at warn level and above. Put in the failure message, so that an intermittent loss can be read from
 * the one run that shows it.
 */
export async function explainLost(summary: SimulateSummary, address: string, logs: readonly [string, LongRunning][], max = 3): Promise<string> {
  const lost = summary.failures.map((f) => /^(\S+): lost:/.exec(f)?.[1]).filter((id): id is string => id !== undefined);
  if (lost.length === 0) return '';
  const parts: string[] = [];
  for (const id of lost.slice(0, max)) {
    for (const cmd of ['describe', 'show']) {
      const r = await runCliAsync(TEMPORAL_TS, ['workflow', cmd, '-w', id, '--address', address], REPO_ROOT, 20_000);
      parts.push(`--- workflow ${cmd} -w ${id} (exit ${r.status})\n${(r.stdout + r.stderr).slice(0, 4000)}`);
    }
  }
  for (const [who, p] of logs) {
    const lines = p
      .output()
      .split('\n')
      .filter((l) => /"level":(40|50|60)/.test(l));
    if (lines.length > 0) parts.push(`--- ${who}: ${lines.length} warn/error lines, the last 15:\n${lines.slice(-15).join('\n').slice(0, 6000)}`);
  }
  return parts.join('\n');
}

export interface VersionRow {
  serverVersion: string;
  firstStartedTime: number;
  activatedTime: number | null;
}

/** server_version_history of the default store, read with the plugin's own driver (no server code). */
export async function readVersionHistory(engine: Engine, db: string): Promise<VersionRow[]> {
  const sql = 'SELECT server_version, first_started_time, activated_time FROM server_version_history ORDER BY first_started_time, server_version';
  type Raw = { server_version: string; first_started_time: number | string; activated_time: number | string | null };
  let rows: Raw[];
  if (engine === 'sqlite') {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      rows = d.prepare(sql).all() as Raw[];
    } finally {
      d.close();
    }
  } else if (engine === 'postgres12') {
    const c = new PgClient({ ...PG, database: db });
    await c.connect();
    try {
      rows = (await c.query<Raw>(sql)).rows;
    } finally {
      await c.end();
    }
  } else {
    const c = await mysql.createConnection({ ...MYSQL, database: db });
    try {
      rows = (await c.query(sql))[0] as Raw[];
    } finally {
      await c.end();
    }
  }
  return rows.map((r) => ({
    serverVersion: r.server_version,
    firstStartedTime: Number(r.first_started_time),
    activatedTime: r.activated_time === null ? null : Number(r.activated_time),
  }));
}

export interface SimProgress {
  seconds: number;
  started: number;
  completed: number;
  open: number;
  failed: number;
}

export interface BackgroundSimulation {
  proc: LongRunning;
  /** the last live progress line (every 2 s on stderr), or zeros before the first */
  progress(): SimProgress;
  /**
   * Waits until a progress line satisfies `ok`, at most `timeoutMs` of the load running (a simulation
   * still starting up gets SIM_STARTUP_MS more); the error names `what` and the simulation's output.
   */
  waitForProgress(what: string, ok: (p: SimProgress) => boolean, timeoutMs: number): Promise<SimProgress>;
  /**
   * Ends the load now (SIGINT, as a Ctrl-C: no more starts, then the drain and the verdict); fails
   * if the load had already ended (its --duration was up: the test needs a longer one).
   */
  endLoad(): void;
  /** Waits for the exit and parses the JSON summary from stdout. */
  finish(): Promise<{ code: number | null; summary: SimSummary; output: string }>;
}

export type SimSummary = SimulateSummary;

const PROGRESS = /(\d+)s started (\d+) completed (\d+) open (\d+) failed (\d+)/g;
/** the same line, without /g (whose lastIndex would make `test` answer differently call to call) */
const PROGRESS_LINE = new RegExp(PROGRESS.source);

/**
 * How long a simulation may take to start (connect, bundle its workflows, create its workers) before
 * its load runs. Not the server's time: two simulations starting at once on a loaded 2-core machine
 * took 15-25 s, which a wait for "N workflows completed" used to count against the server.
 */
const SIM_STARTUP_MS = 120_000;

export function startSimulation(args: readonly string[]): BackgroundSimulation {
  const proc = startCli(TEMPORAL_TS, ['simulate', ...args, '-o', 'json']);
  let stdout = '';
  proc.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const spawnedAt = Date.now();
  /** when the first progress line came: the load runs from then on */
  let loadRunningAt: number | undefined;
  const seeProgress = () => {
    if (loadRunningAt === undefined && PROGRESS_LINE.test(proc.output())) loadRunningAt = Date.now();
  };
  proc.child.stdout!.on('data', seeProgress);
  proc.child.stderr!.on('data', seeProgress);
  const progress = (): SimProgress => {
    const m = [...proc.output().matchAll(PROGRESS)].pop();
    if (!m) return { seconds: 0, started: 0, completed: 0, open: 0, failed: 0 };
    const [, seconds, started, completed, open, failed] = m.map(Number) as number[];
    return { seconds: seconds!, started: started!, completed: completed!, open: open!, failed: failed! };
  };
  let exited = false;
  void proc.exited().then(() => (exited = true));
  return {
    proc,
    progress,
    async waitForProgress(what, ok, timeoutMs) {
      const called = Date.now();
      for (;;) {
        const p = progress();
        if (ok(p)) return p;
        // `timeoutMs` of load: counted from this call or from the load's start, whichever is later
        const deadline = loadRunningAt === undefined ? spawnedAt + SIM_STARTUP_MS + timeoutMs : Math.max(called, loadRunningAt) + timeoutMs;
        if (exited || Date.now() > deadline) {
          const why = exited
            ? 'simulate exited'
            : loadRunningAt === undefined
              ? `its load did not start within ${SIM_STARTUP_MS} ms`
              : `not within ${timeoutMs} ms`;
          throw new Error(`${what}: ${why}; last progress ${JSON.stringify(p)}; simulate output:\n${proc.output().slice(-4000)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    endLoad() {
      assert.ok(!exited && !/draining:/.test(proc.output()), `the load had ended before the test ended it:\n${proc.output().slice(-2000)}`);
      proc.child.kill('SIGINT');
    },
    async finish() {
      const code = await proc.exited();
      let summary: SimSummary;
      try {
        summary = JSON.parse(stdout) as SimSummary;
      } catch {
        throw new Error(`simulate (exit ${code}) printed no JSON summary; output:\n${proc.output().slice(-6000)}`);
      }
      return { code, summary, output: proc.output() };
    },
  };
}
