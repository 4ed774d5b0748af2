/**
 * The transport floor: the server CPU one unary gRPC call costs before any work is done, for three
 * servers on this machine, each in its own process and called by a grpc-js client:
 *  - `http2`: node:http2 alone, answering a gRPC frame with headers, the message and trailers (what
 *    any Node.js gRPC server does at the least);
 *  - `grpc-js`: @grpc/grpc-js's server (the one our frontend runs on) answering the same;
 *  - `frontend`: our server (SQLite) answering WorkflowService.GetSystemInfo (the request chain,
 *    protobuf decoding and encoding, no persistence).
 * It prints the server's CPU per call (process CPU, all threads) at 1 and 32 calls in flight, and what
 * that floor means for a workflow of `--rpcs-per-workflow` calls (7 for the throughput bench's raw
 * worker: start, two workflow task polls and completions, the activity's completion, the result's
 * history long poll): the most workflows per second one event loop could complete on transport alone.
 *
 * Usage: npm run bench:grpc-floor -- [--calls 20000] [--rpcs-per-workflow 7]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttp2Server, type ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, credentials, makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { sqlTool } from '../test/helpers/processes';

const MODES = ['http2', 'grpc-js', 'frontend'] as const;
type Mode = (typeof MODES)[number];

const ECHO_PATH = '/bench.Floor/Echo';
const SYSTEM_INFO_PATH = '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo';
/** a response about the size of a small task or a completion's answer */
const RESPONSE = Buffer.alloc(200, 1);
const REQUEST = Buffer.alloc(300, 2);

const bytes = (b: Buffer): Buffer => b;
const unary = (path: string): ServiceDefinition => ({
  Call: {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
});

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, not ${process.argv[i + 1]}`);
  return v;
}

// ------------------------------------------------------------------ the server child
async function serve(mode: Mode): Promise<number> {
  if (mode === 'http2') {
    const server = createHttp2Server();
    server.on('connection', (socket: { setNoDelay(b: boolean): void }) => socket.setNoDelay(true));
    server.on('stream', (stream: ServerHttp2Stream) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const frame = Buffer.allocUnsafe(5 + RESPONSE.length);
        frame[0] = 0;
        frame.writeUInt32BE(RESPONSE.length, 1);
        RESPONSE.copy(frame, 5);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frame);
      });
    });
    return new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port)));
  }
  if (mode === 'grpc-js') {
    const server = new Server({ 'grpc.enable_channelz': 0 });
    server.addService(unary(ECHO_PATH), { Call: (_call: unknown, cb: (e: null, r: Buffer) => void) => cb(null, RESPONSE) });
    return new Promise((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  }
  const dir = mkdtempSync(join(tmpdir(), 'tts-bench-floor-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'temporal.db');
  const tool = (...args: string[]): void => {
    const r = sqlTool(['--pl', 'sqlite', '--db', file, '-q', ...args]);
    if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  };
  tool('create-database');
  tool('setup-schema', '-v', '0.0');
  tool('update-schema', '-s', 'sqlite/v3/temporal');
  const { startTemporalServer } = await import('../src/server/server.js');
  const server = await startTemporalServer({
    persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: file },
    port: 0,
    logLevel: 'warn',
    numHistoryShards: 1,
  });
  return server.port;
}

function child(mode: Mode): void {
  let since = process.cpuUsage();
  process.on('message', (m: unknown) => {
    if (m === 'reset') {
      since = process.cpuUsage();
      process.send!('ok');
    }
    if (m === 'cpu') {
      const u = process.cpuUsage(since);
      process.send!({ cpuUs: u.user + u.system });
    }
  });
  serve(mode).then(
    (port) => process.send!({ port }),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

// ------------------------------------------------------------------ the measuring parent
function ask<T>(c: ChildProcess, m: string): Promise<T> {
  return new Promise((res) => {
    c.once('message', (r) => res(r as T));
    c.send(m);
  });
}

async function measure(mode: Mode, calls: number): Promise<{ mode: Mode; inFlight: number; serverCpuUsPerRpc: number; rpcsPerSecond: number }[]> {
  const c = fork(__filename, ['serve', mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await new Promise<{ port: number }>((res, rej) => {
      c.once('message', (m) => res(m as { port: number }));
      c.once('exit', (code) => rej(new Error(`the ${mode} server exited (${code}) before it served`)));
    });
    const Client = makeGenericClientConstructor(unary(mode === 'frontend' ? SYSTEM_INFO_PATH : ECHO_PATH), 'Floor');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
      Call(req: Buffer, cb: (e: Error | null) => void): void;
      close(): void;
    };
    // GetSystemInfo's request has no fields: an empty message
    const request = mode === 'frontend' ? Buffer.alloc(0) : REQUEST;
    const one = (): Promise<void> => new Promise((res, rej) => client.Call(request, (e) => (e ? rej(e) : res())));
    const run = async (n: number, inFlight: number): Promise<void> => {
      let started = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (started++ < n) await one();
        }),
      );
    };
    await run(Math.min(5000, calls), 32); // warm-up: JIT, connection
    const out = [];
    for (const inFlight of [1, 32]) {
      const n = inFlight === 1 ? Math.max(1000, calls >> 2) : calls;
      await ask(c, 'reset');
      const t0 = process.hrtime.bigint();
      await run(n, inFlight);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const { cpuUs } = await ask<{ cpuUs: number }>(c, 'cpu');
      out.push({ mode, inFlight, serverCpuUsPerRpc: Math.round((10 * cpuUs) / n) / 10, rpcsPerSecond: Math.round(n / seconds) });
    }
    client.close();
    return out;
  } finally {
    c.kill();
  }
}

async function main(): Promise<void> {
  const calls = flag('calls', 20000);
  const perWorkflow = flag('rpcs-per-workflow', 7);
  const rows = [];
  for (const mode of MODES) {
    for (const r of await measure(mode, calls)) {
      const line = { ...r, workflowsPerSecondCeiling: Math.floor(1e6 / (perWorkflow * r.serverCpuUsPerRpc)) };
      console.log(JSON.stringify(line));
      rows.push(line);
    }
  }
  console.log(
    `\nserver CPU per unary call (grpc-js client, ${calls} calls at 32 in flight), and the ceiling of one event loop at ${perWorkflow} calls per workflow`,
  );
  console.log('server      in flight   CPU µs/call   calls/s   wf/s ceiling (transport only)');
  for (const r of rows)
    console.log(
      `${r.mode.padEnd(10)} ${String(r.inFlight).padStart(10)} ${String(r.serverCpuUsPerRpc).padStart(13)} ${String(r.rpcsPerSecond).padStart(9)} ${String(r.workflowsPerSecondCeiling).padStart(14)}`,
    );
}

if (process.argv[2] === 'serve') child(process.argv[3] as Mode);
else
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
