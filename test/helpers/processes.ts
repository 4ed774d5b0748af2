/**
 * Child processes of the real CLIs (bin/temporal-ts.js, bin/temporal-sql-tool.js) for tests: run to
 * completion, or start a long-running server and wait for a line of its output.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const SQL_TOOL = join(REPO_ROOT, 'bin', 'temporal-sql-tool.js');
export const TEMPORAL_TS = join(REPO_ROOT, 'bin', 'temporal-ts.js');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `cwd` matters for the page's relative schema paths (./schema/...): a release runs in its own directory. */
export function runCli(bin: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd: string = REPO_ROOT): RunResult {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The environment the temporal-ts CLI tests run in: none of the variables that would change its address, namespace or colours. */
export const CLI_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !['NO_COLOR', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE'].includes(k)),
);

/** temporal-ts as a child process, asynchronously (a worker in the test's process keeps running); killed after 30 s. */
export function runTemporalTs(args: readonly string[], env: NodeJS.ProcessEnv = CLI_ENV): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TEMPORAL_TS, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export const sqlTool = (args: readonly string[], env?: NodeJS.ProcessEnv) => runCli(SQL_TOOL, args, env);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface LongRunning {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` appears; rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited(): Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startCli(bin: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd: string = REPO_ROOT): LongRunning {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exit.then(() => (done = true));
  return {
    child,
    output: () => out,
    exited: () => exit,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pattern.test(out)) return out;
        if (done) throw new Error(`process exited before printing ${pattern}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${pattern}; output:\n${out}`);
    },
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exit;
    },
  };
}
