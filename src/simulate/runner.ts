/**
 * `temporal-ts simulate`: load for a staging cluster, as the upgrade page's roll-out technique asks.
 * It runs its own worker (the official SDK) and starts a mix of workflows at a given rate and
 * concurrency for a given time, sends their signals, waits for their results and checks each against
 * the predicted one. Everything the server acknowledged goes to the state file, so a run after an
 * upgrade can check the workflows that an earlier run left open. Calls that fail while the server
 * restarts are retried; only a workflow that never completes counts as lost.
 *
 * Several frontends (`addresses`): the run opens one client (and one worker) per address and spreads
 * its workflows over them round robin. Every call has a deadline (a server killed or frozen never
 * holds the run), and a run whose starts keep failing past `startGraceMs` stops starting and says why.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
import * as activities from './activities';
import { clientSecurity, nativeClientSecurity, quietIpServerName, type ClientSecurityOptions } from '../common/client-security';
import { SIM_KINDS, type SimKind, type SimPlan, WORKFLOW_TYPES, expectedResult } from './expected';
import { type StartedRecord, StateFile } from './state-file';

export interface SimulateOptions {
  /** frontend endpoints; clients and workers are spread over them */
  addresses: readonly string[];
  /** TLS and API key for every connection (see src/common/client-security.ts) */
  security?: ClientSecurityOptions;
  namespace: string;
  taskQueue: string;
  /** new workflows per second */
  rate: number;
  /** most workflows in flight at once */
  concurrency: number;
  durationMs: number;
  /** after the duration: how long to wait for workflows still open */
  drainMs: number;
  stateFile?: string;
  /** only check the open workflows of the state file; start nothing */
  checkOnly: boolean;
  /** do not wait for open workflows at the end (a later run checks them through the state file) */
  leaveOpen: boolean;
  runWorker: boolean;
  mix: Readonly<Record<SimKind, number>>;
  /** the longest timer of a timer workflow (they sleep 100 ms to this); long timers stay pending across an upgrade */
  timerMaxMs: number;
  seed: number;
  progress: (line: string) => void;
  progressIntervalMs: number;
  /** how long starts may keep failing (none succeeding) before the run gives up starting (default 60 s) */
  startGraceMs?: number;
  /** the deadline of each call but the result long polls (default 30 s) */
  callTimeoutMs?: number;
  /**
   * Ends the load before `durationMs` when aborted (the CLI: the first Ctrl-C / SIGINT): no more
   * starts, then the drain and the verdict as after the full duration.
   */
  endLoad?: AbortSignal;
}

export interface SimulateSummary {
  started: number;
  completed: number;
  failed: number;
  wrongResult: number;
  lost: number;
  leftOpen: number;
  /** workflows the state file held when the run began (started by earlier runs) */
  readFromStateFile: number;
  /** of those, the ones without an outcome that this run waited for and checked */
  checkedFromStateFile: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  failures: string[];
  /** set when starts kept failing past the grace period: why the run stopped starting */
  startsGaveUp?: string;
  /** a worker that did not stop within its grace period at the end (the process should exit anyway) */
  workerStuck?: boolean;
}

/** a result long poll is cut after this and polled again (the server answers long polls within 60 s) */
const RESULT_POLL_DEADLINE_MS = 75_000;
/** how long the workers get to stop at the end */
const WORKER_STOP_MS = 15_000;

/** `p`, or `fallback` once `ms` passed (for shutdown steps that must not hold the run). */
async function within<T>(ms: number, p: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Retries a call while the server is unreachable (restarts); gives up after `patienceMs`, or at once
 * when `stop` is aborted (the run itself cancelled the call).
 */
async function patiently<T>(what: string, patienceMs: number, fn: () => Promise<T>, stop?: AbortSignal, onRetry?: (err: unknown) => void): Promise<T> {
  const deadline = Date.now() + patienceMs;
  let delay = 200;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (stop?.aborted || !isTransient(err) || Date.now() > deadline) throw err;
      onRetry?.(err);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

function isTransient(err: unknown): boolean {
  const e = err as { code?: number; message?: string; cause?: unknown };
  // grpc UNAVAILABLE (14), DEADLINE_EXCEEDED (4), and connection failures wrapped by the client.
  // CANCELLED (1) too: a server that stops gracefully ends the long polls still open (a workflow's
  // result: GetWorkflowExecutionHistory with waitNewEvent) with CANCELLED once its grace period is
  // over; the calls this run cancels itself are not retried (see `stop` of patiently).
  if (e?.code === 14 || e?.code === 4 || e?.code === 1) return true;
  if (/UNAVAILABLE|ECONNREFUSED|ECONNRESET|Connection dropped|No connection established|deadline/i.test(String(e?.message))) return true;
  return e?.cause !== undefined && e.cause !== err ? isTransient(e.cause) : false;
}

/** An error with its chain of causes and gRPC codes, so a failure names what the server answered. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e = err as { code?: unknown; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    parts.push(`${e.message ?? String(e)}${typeof e.code === 'number' ? ` (gRPC code ${e.code})` : ''}`);
    e = e.cause !== e ? (e.cause as typeof e) : undefined;
  }
  return parts.join(': ');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A small seeded PRNG (mulberry32) so a run's mix can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function simulate(o: SimulateOptions): Promise<SimulateSummary> {
  const state = new StateFile(o.stateFile);
  // A check refuses a state file that would leave it nothing to check, before it connects.
  const plan = o.checkOnly ? state.readForCheck() : undefined;
  const earlier = plan?.entries ?? state.load();
  if (plan) {
    o.progress(
      `checking the ${plan.open} open workflow(s) of ${o.stateFile}: it holds ${plan.entries.size}, of which ${plan.entries.size - plan.open} finished in the run that started them`,
    );
  }
  const summary: SimulateSummary = {
    started: 0,
    completed: 0,
    failed: 0,
    wrongResult: 0,
    lost: 0,
    leftOpen: 0,
    readFromStateFile: earlier.size,
    checkedFromStateFile: 0,
    latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 },
    failures: [],
  };
  const latencies: number[] = [];
  const patience = Math.max(o.durationMs + o.drainMs, 120_000);
  const callTimeoutMs = o.callTimeoutMs ?? 30_000;
  const startGraceMs = o.startGraceMs ?? 60_000;
  if (o.addresses.length === 0) throw new Error('simulate needs at least one address');

  // the worker's options first: a flag its connection cannot take fails before anything connects
  const workerSecurity = o.runWorker ? nativeClientSecurity(o.security ?? {}) : undefined;
  for (const address of o.addresses) quietIpServerName(address, o.security ?? {});
  const connections = await Promise.all(
    o.addresses.map((address) =>
      patiently('connect', 60_000, () => Connection.connect({ address, connectTimeout: callTimeoutMs, ...clientSecurity(o.security ?? {}) })),
    ),
  );
  const clients = connections.map((connection) => new Client({ connection, namespace: o.namespace }));
  const workers: Worker[] = [];
  const nativeConnections: NativeConnection[] = [];
  if (o.runWorker) {
    try {
      // The summary goes to stdout: keep the SDK core's own log lines to errors, through our logger.
      Runtime.install({
        logger: new DefaultLogger('ERROR'),
        // SIGINT is the CLI's (it ends the load, see SimulateOptions.endLoad), not a worker shutdown
        shutdownSignals: ['SIGTERM', 'SIGQUIT'],
        telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
      });
    } catch {
      /* installed already (tests run several simulations in one process) */
    }
    // one bundle for every worker: bundling (webpack) is most of a simulation's start-up, many
    // seconds on a loaded machine, and it was done once per --address
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('ERROR') });
    for (const address of o.addresses) {
      const nativeConnection = await NativeConnection.connect({ address, ...workerSecurity });
      nativeConnections.push(nativeConnection);
      workers.push(
        await Worker.create({
          connection: nativeConnection,
          namespace: o.namespace,
          taskQueue: o.taskQueue,
          workflowBundle,
          activities,
        }),
      );
    }
  }

  // Set once the run stops waiting: calls cut off by the shutdown are not failures.
  let closing = false;
  // Cancels the result long-polls still running when the run stops waiting.
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one listener per open workflow
  // Stops the retries of starts, describes and signals once the run stops starting (--leave-open).
  const stopRetries = new AbortController();
  setMaxListeners(0, stopRetries.signal);
  /** A unary call with its deadline. */
  const call = <T>(c: Client, fn: () => Promise<T>): Promise<T> => c.withDeadline(Date.now() + callTimeoutMs, fn);
  /** starts failing since (ms; undefined: the last start went through) and the last error */
  let startFailingSince: number | undefined;
  let lastStartError = '';
  const startFailed = (err: unknown) => {
    startFailingSince ??= Date.now();
    lastStartError = describeError(err);
  };
  const open = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    open.add(p);
    void p.finally(() => open.delete(p));
  };

  const openIds = new Set<string>();
  const awaitOutcome = (client: Client, rec: StartedRecord, handle: WorkflowHandle, fromStateFile: boolean) =>
    (async () => {
      openIds.add(rec.workflowId);
      let outcome: 'completed' | 'wrong-result' | 'failed';
      let result: unknown;
      let error: string | undefined;
      try {
        result = await patiently(
          'result',
          patience,
          () => client.withAbortSignal(abort.signal, () => client.withDeadline(Date.now() + RESULT_POLL_DEADLINE_MS, () => handle.result())),
          abort.signal,
        );
        outcome = result === rec.expected ? 'completed' : 'wrong-result';
        if (outcome === 'wrong-result') error = `result ${JSON.stringify(result)}, expected ${rec.expected}`;
      } catch (err) {
        if (err instanceof WorkflowFailedError) {
          outcome = 'failed';
          error = `${err.message}: ${err.cause?.message ?? ''}`;
        } else {
          throw err;
        }
      }
      const latencyMs = Date.now() - rec.startedAtMs;
      if (!fromStateFile) latencies.push(latencyMs);
      if (outcome === 'completed') summary.completed++;
      else if (outcome === 'failed') summary.failed++;
      else summary.wrongResult++;
      if (error) summary.failures.push(`${rec.workflowId} (${rec.kind}): ${error}`);
      state.append({ type: 'outcome', workflowId: rec.workflowId, outcome, result, error, latencyMs });
      openIds.delete(rec.workflowId);
    })();

  let nextClient = 0;
  const pickClient = () => clients[nextClient++ % clients.length]!;
  for (const [id, e] of earlier) {
    if (e.outcome) continue;
    summary.checkedFromStateFile++;
    const client = pickClient();
    track(
      awaitOutcome(client, e.started, client.workflow.getHandle(id, e.started.runId, { followRuns: true }), true).catch((err: unknown) => {
        if (!closing) summary.failures.push(`${id}: ${describeError(err)}`);
      }),
    );
  }

  const runToken = randomBytes(4).toString('hex');
  const random = prng(o.seed);
  const weights = SIM_KINDS.map((k) => o.mix[k] ?? 0);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pick = (): SimKind => {
    let x = random() * totalWeight;
    for (const [i, w] of weights.entries()) {
      if ((x -= w) < 0) return SIM_KINDS[i]!;
    }
    return SIM_KINDS[SIM_KINDS.length - 1]!;
  };

  const startOne = async (seq: number): Promise<void> => {
    const kind = pick();
    const seed = Math.floor(random() * 100_000);
    const plan: SimPlan = {
      kind,
      seed,
      n:
        kind === 'activities'
          ? 1 + Math.floor(random() * 3)
          : kind === 'timer'
            ? 100 + Math.floor(random() * Math.max(1, o.timerMaxMs - 100))
            : kind === 'continue'
              ? 1 + Math.floor(random() * 3)
              : 0,
      signalValue: kind === 'signal' ? Math.floor(random() * 1000) : undefined,
    };
    const workflowId = `sim-${runToken}-${seq}`;
    const args = kind === 'activities' || kind === 'timer' || kind === 'continue' ? [seed, plan.n] : [seed];
    const startedAtMs = Date.now();
    const client = clients[seq % clients.length]!;
    let handle: WorkflowHandle;
    try {
      handle = await patiently(
        'start',
        patience,
        () => call(client, () => client.workflow.start(WORKFLOW_TYPES[kind], { taskQueue: o.taskQueue, workflowId, args })),
        stopRetries.signal,
        startFailed,
      );
    } catch (err) {
      // A start retried after the server took it but before we heard back.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        startFailed(err);
        throw err;
      }
      handle = client.workflow.getHandle(workflowId);
    }
    startFailingSince = undefined;
    const described = await patiently('describe', patience, () => call(client, () => handle.describe()), stopRetries.signal);
    const rec: StartedRecord = { type: 'started', ...plan, workflowId, runId: described.runId, expected: expectedResult(plan), startedAtMs };
    state.append(rec);
    // Open from the moment it is in the state file (a signal workflow is, before its signal is sent).
    openIds.add(workflowId);
    summary.started++;
    if (kind === 'signal') {
      let retried = false;
      try {
        await patiently(
          'signal',
          patience,
          () => call(client, () => handle.signal('go', plan.signalValue)),
          stopRetries.signal,
          () => (retried = true),
        );
      } catch (err) {
        // An attempt cut off after the server took it (a frontend stopping mid-call) delivered the
        // signal; the workflow then completed, and the retry finds it closed. Its result says whether
        // it really got the signal (the value is in it), so wait for that instead of calling it lost.
        if (!(retried && /already completed/i.test(describeError(err)))) throw err;
      }
    }
    await awaitOutcome(client, rec, client.workflow.getHandle(workflowId, described.runId, { followRuns: true }), false);
  };

  const load = async (): Promise<void> => {
    const began = Date.now();
    let lastProgress = began;
    let seq = 0;
    const line = () =>
      `${Math.round((Date.now() - began) / 1000)}s started ${summary.started} completed ${summary.completed} open ${open.size} failed ${summary.failed + summary.wrongResult}`;
    if (!o.checkOnly) {
      while (Date.now() - began < o.durationMs && !o.endLoad?.aborted) {
        const due = Math.floor(((Date.now() - began) / 1000) * o.rate);
        while (seq < due && open.size < o.concurrency) {
          const n = seq++;
          const p = startOne(n).catch((err: unknown) => {
            if (!closing) summary.failures.push(`workflow ${n}: ${describeError(err)}`);
          });
          track(p);
        }
        if (Date.now() - lastProgress >= o.progressIntervalMs) {
          o.progress(line());
          lastProgress = Date.now();
        }
        if (startFailingSince !== undefined && Date.now() - startFailingSince > startGraceMs) {
          summary.startsGaveUp = `no workflow could be started for ${Math.round((Date.now() - startFailingSince) / 1000)} s (grace ${Math.round(startGraceMs / 1000)} s); last error: ${lastStartError}`;
          summary.failures.push(summary.startsGaveUp);
          o.progress(`giving up starting: ${summary.startsGaveUp}`);
          stopRetries.abort();
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    if (o.leaveOpen) {
      // counted once the starts still in flight are recorded (below), which retry no more
      closing = true;
      stopRetries.abort();
      return;
    }
    const drainUntil = Date.now() + o.drainMs;
    while (open.size > 0 && Date.now() < drainUntil) {
      if (Date.now() - lastProgress >= o.progressIntervalMs) {
        o.progress(`draining: ${line()}`);
        lastProgress = Date.now();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    closing = true;
    summary.lost = openIds.size;
    for (const id of [...openIds].slice(0, 50)) summary.failures.push(`${id}: lost: acknowledged by the server but no result within the drain time`);
  };

  try {
    const loading = load();
    if (workers.length === 0) await loading;
    else {
      // the workers stop once the load is over; one that does not stop in time does not hold the run
      const stopped = Promise.all(workers.map((w) => w.runUntil(loading))).then(() => true);
      summary.workerStuck = !(await Promise.race([stopped, loading.then(() => within(WORKER_STOP_MS, stopped, false))]));
      if (summary.workerStuck) o.progress(`the worker did not stop within ${WORKER_STOP_MS / 1000} s; going on without it`);
    }
  } finally {
    closing = true;
    stopRetries.abort();
    abort.abort();
    // every call has its deadline: this ends
    await Promise.allSettled([...open]);
    // Every workflow in the state file without an outcome: what a later --check run waits for.
    if (o.leaveOpen) summary.leftOpen = openIds.size;
    for (const c of connections)
      await within(
        5_000,
        c.close().catch(() => undefined),
        undefined,
      );
    for (const c of nativeConnections)
      await within(
        5_000,
        c.close().catch(() => undefined),
        undefined,
      );
  }
  latencies.sort((a, b) => a - b);
  summary.latencyMs = {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? 0,
  };
  return summary;
}
