/**
 * `temporal-ts simulate`: the simulation load of the upgrade page's roll-out technique (see
 * src/simulate/runner.ts). Exits 1 when any acknowledged workflow is lost, fails or ends with a
 * result other than the predicted one, when it started nothing (without --check), or when its starts
 * kept failing past --start-grace. `--address` may be given several times (or comma-separated): the
 * clients and workers are spread over those frontends.
 */
import { type Command, Option } from 'commander';
import { SIM_KINDS, type SimKind } from '../simulate/expected';
import type { SimulateSummary } from '../simulate/runner';
import { UsageError } from '../schema/errors';
import type { ClientSecurityOptions } from '../common/client-security';
import { addSecurityOptions, securityOf } from './client-context';

export function parseDurationMs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} "${text}" is not a duration (e.g. 500ms, 30s, 5m, 1h)`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

function positive(flag: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`${flag} "${text}" must be a positive ${integer ? 'whole ' : ''}number`);
  return n;
}

export function parseMix(text: string): Record<SimKind, number> {
  const mix = Object.fromEntries(SIM_KINDS.map((k) => [k, 0])) as Record<SimKind, number>;
  for (const part of text.split(',')) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (!k || !(SIM_KINDS as readonly string[]).includes(k) || v === undefined || !/^\d+$/.test(v)) {
      throw new UsageError(`--mix "${text}": "${part}" must be KIND=WEIGHT with KIND one of ${SIM_KINDS.join(', ')} (e.g. activities=3,timer=2)`);
    }
    mix[k as SimKind] = Number(v);
  }
  if (Object.values(mix).every((w) => w === 0)) throw new UsageError(`--mix "${text}" gives every kind weight 0`);
  return mix;
}

function printSummary(s: SimulateSummary, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  const rows: [string, string | number][] = [
    ['started', s.started],
    ['completed', s.completed],
    ['failed', s.failed],
    ['wrong result', s.wrongResult],
    ['lost', s.lost],
    ['left open (checked by a later run)', s.leftOpen],
    ['read from the state file', s.readFromStateFile],
    ['checked from the state file', s.checkedFromStateFile],
    ['latency p50 / p95 / p99 / max', `${s.latencyMs.p50} / ${s.latencyMs.p95} / ${s.latencyMs.p99} / ${s.latencyMs.max} ms`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
  for (const f of s.failures.slice(0, 20)) process.stdout.write(`  ! ${f}\n`);
}

export function registerSimulateCommand(program: Command): void {
  const cmd = program
    .command('simulate')
    .description(
      'simulation load for a staging cluster: starts a mix of workflows (activities, timers, signals, children, continue-as-new) with its own worker and checks every result',
    )
    .option(
      '--address <host:port>',
      'frontend gRPC endpoint; repeatable or comma-separated to spread the load over several frontends (default: $TEMPORAL_ADDRESS or 127.0.0.1:7233)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((a) => a.trim())],
    )
    .addOption(new Option('-n, --namespace <name>', 'namespace').env('TEMPORAL_NAMESPACE').default('default'))
    .option('-t, --task-queue <name>', 'task queue of the simulation worker', 'temporal-ts-simulate')
    .option('--rate <n>', 'new workflows per second', '5')
    .option('--concurrency <n>', 'most workflows open at once', '50')
    .option('--duration <d>', 'how long to start workflows (e.g. 60s, 10m); Ctrl-C ends the load sooner, then drains as after it', '60s')
    .option('--drain <d>', 'after --duration, how long to wait for open workflows', '2m')
    .option('--state-file <path>', 'JSON-lines record of acknowledged workflows and outcomes, read again by a later run')
    .option('--check', 'start nothing: wait for and check the open workflows of --state-file')
    .option('--leave-open', 'do not wait for open workflows at the end (check them later with --check)')
    .option('--no-worker', 'do not run a worker (another simulate process runs it)')
    .option('--mix <weights>', `relative weights of ${SIM_KINDS.join(', ')}`, 'activities=3,timer=2,signal=2,child=1,continue=1')
    .option('--timer-max <d>', 'timer workflows sleep from 100 ms up to this (long timers stay pending across an upgrade)', '1500ms')
    .option('--seed <n>', 'seed of the workflow mix', '1')
    .option('--start-grace <d>', 'how long starts may keep failing (none going through) before the run stops starting and fails', '60s')
    .option('--call-timeout <d>', 'deadline of each call to the server (result long polls: 75s)', '30s')
    .addOption(new Option('-o, --output <format>', 'summary format').choices(['text', 'json']).default('text'));
  addSecurityOptions(cmd).action(
    async (
      o: {
        address?: string[];
        namespace: string;
        taskQueue: string;
        rate: string;
        concurrency: string;
        duration: string;
        drain: string;
        stateFile?: string;
        check?: boolean;
        leaveOpen?: boolean;
        worker: boolean;
        mix: string;
        timerMax: string;
        seed: string;
        startGrace: string;
        callTimeout: string;
        output: string;
      } & ClientSecurityOptions,
    ) => {
      const addresses = o.address ?? [process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233'];
      for (const a of addresses) if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(a)) throw new UsageError(`--address "${a}" must be HOST:PORT`);
      if (o.check && !o.stateFile) throw new UsageError('--check needs --state-file (the file an earlier simulate run wrote)');
      // the first Ctrl-C ends the load early and still drains and checks; a second one quits at once
      const endLoad = new AbortController();
      const onInterrupt = () => {
        if (endLoad.signal.aborted) process.exit(130);
        endLoad.abort();
        process.stderr.write('ending the load: no more starts; waiting for the open workflows (Ctrl-C again to quit now)\n');
      };
      process.on('SIGINT', onInterrupt);
      // loaded here, not at the top: the runner brings the SDK worker (its native core, its threads),
      // which every other command, `server start` among them, must not pay for in memory
      const { simulate } = await import('../simulate/runner.js');
      const summary = await simulate({
        addresses,
        security: securityOf(o),
        namespace: o.namespace,
        taskQueue: o.taskQueue,
        rate: positive('--rate', o.rate, false),
        concurrency: positive('--concurrency', o.concurrency, true),
        durationMs: parseDurationMs('--duration', o.duration),
        drainMs: parseDurationMs('--drain', o.drain),
        stateFile: o.stateFile,
        checkOnly: Boolean(o.check),
        leaveOpen: Boolean(o.leaveOpen),
        runWorker: o.worker,
        mix: parseMix(o.mix),
        timerMaxMs: parseDurationMs('--timer-max', o.timerMax),
        seed: positive('--seed', o.seed, true),
        progress: (line) => process.stderr.write(line + '\n'),
        progressIntervalMs: 2000,
        startGraceMs: parseDurationMs('--start-grace', o.startGrace),
        callTimeoutMs: parseDurationMs('--call-timeout', o.callTimeout),
        endLoad: endLoad.signal,
      }).finally(() => process.off('SIGINT', onInterrupt));
      printSummary(summary, o.output === 'json');
      // a worker stuck in its shutdown keeps the event loop alive: exit once the verdict is out
      if (summary.workerStuck) setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
      if (!o.check && summary.started === 0) {
        throw new Error(
          `simulation started nothing${summary.startsGaveUp ? `: ${summary.startsGaveUp}` : summary.failures[0] ? `: ${summary.failures[0]}` : ' (raise --rate or --duration)'}`,
        );
      }
      if (summary.lost > 0 || summary.failed > 0 || summary.wrongResult > 0 || summary.failures.length > 0) {
        throw new Error(
          `simulation found problems: ${summary.lost} lost, ${summary.failed} failed, ${summary.wrongResult} with a wrong result, ${summary.failures.length} error(s)${summary.startsGaveUp ? `; ${summary.startsGaveUp}` : ''}`,
        );
      }
    },
  );
}
