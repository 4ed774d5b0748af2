/**
 * `temporal-ts simulate` against a real server process: a run completes and checks every workflow;
 * a run that leaves workflows open, a SIGKILL of the server and a restart, then `--check` from the
 * state file finds every acknowledged workflow completed with its predicted result and says how many
 * it read and checked; a check that would check nothing (a missing or empty state file, or one with
 * nothing left open) is refused before it connects; Ctrl-C ends the load early and still drains and
 * checks; bad flags are refused with a sentence.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPORAL_TS, freePort, runCli, startCli, type LongRunning } from '../helpers/processes';

const tmp = mkdtempSync(join(tmpdir(), 'simulate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Every kind of the simulation; children and continue-as-new need the engine to support them.
const MIX = process.env.SIM_TEST_MIX ?? 'activities=3,timer=2,signal=2,child=1,continue=1';

/** `simulate` at 8 starts a second with the whole mix against the server on `port`, JSON summary; `extra` flags after. */
function loadArgs(port: number, duration: string, ...extra: string[]): string[] {
  return ['simulate', '--address', `127.0.0.1:${port}`, '--duration', duration, '--rate', '8', '--mix', MIX, ...extra, '-o', 'json'];
}

async function devServer(file: string, port: number): Promise<LongRunning> {
  const s = startCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', file, '--port', String(port), '--headless']);
  await s.waitFor(/gRPC on/);
  return s;
}

function summaryOf(stdout: string): Record<string, number> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  return doc as Record<string, number>;
}

test('a run starts the mix, and every workflow completes with its predicted result', async () => {
  const port = await freePort();
  const server = await devServer(join(tmp, 'a.db'), port);
  try {
    const r = runCli(TEMPORAL_TS, loadArgs(port, '6s', '--drain', '60s'));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = summaryOf(r.stdout);
    assert.ok(s.started! >= 30, `started ${s.started}`);
    assert.equal(s.completed, s.started);
    assert.equal(s.lost, 0);
    assert.equal(s.failed, 0);
    assert.match(r.stderr, /\d+s started \d+ completed \d+/, 'live progress lines');
  } finally {
    await server.stop();
  }
});

test('Ctrl-C (SIGINT) ends the load before --duration: no more starts, the open workflows drain and are checked, exit 0', async () => {
  const port = await freePort();
  const server = await devServer(join(tmp, 'int.db'), port);
  try {
    const sim = startCli(TEMPORAL_TS, loadArgs(port, '600s', '--drain', '60s'));
    await sim.waitFor(/\d+s started [1-9]\d* completed/, 120_000);
    const interruptedAt = Date.now();
    sim.child.kill('SIGINT');
    const code = await sim.exited();
    const out = sim.output();
    assert.equal(code, 0, out.slice(-3000));
    assert.ok(Date.now() - interruptedAt < 70_000, 'it drained and exited instead of running out its 600 s');
    assert.match(out, /ending the load: no more starts/);
    const s = summaryOf(out.slice(out.indexOf('{')));
    assert.ok(s.started! > 0);
    assert.equal(s.completed, s.started, 'every workflow started before the Ctrl-C completed and was checked');
    assert.equal(s.lost, 0);
  } finally {
    await server.stop();
  }
});

test('workflows left open survive a SIGKILL and restart of the server; --check finds each completed', async () => {
  const port = await freePort();
  const file = join(tmp, 'b.db');
  const stateFile = join(tmp, 'b.jsonl');
  let server = await devServer(file, port);
  try {
    // Long timers keep workflows open across the kill.
    const first = runCli(TEMPORAL_TS, loadArgs(port, '4s', '--timer-max', '10s', '--leave-open', '--state-file', stateFile));
    assert.equal(first.status, 0, first.stdout + first.stderr);
    const s1 = summaryOf(first.stdout);
    assert.ok(s1.started! >= 20);
    assert.ok(s1.leftOpen! >= 1, 'some workflows are still open when the server is killed');
    const started = readFileSync(stateFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"started"')).length;
    assert.equal(started, s1.started, 'every acknowledged start is in the state file');

    await server.stop('SIGKILL');
    server = await devServer(file, port);

    const check = runCli(TEMPORAL_TS, ['simulate', '--address', `127.0.0.1:${port}`, '--check', '--state-file', stateFile, '--drain', '90s', '-o', 'json']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const s2 = summaryOf(check.stdout);
    assert.equal(s2.started, 0, '--check starts nothing');
    assert.equal(s2.readFromStateFile, s1.started, 'every workflow of the state file was read');
    assert.equal(s2.checkedFromStateFile, s1.leftOpen);
    assert.match(
      check.stderr,
      new RegExp(
        `checking the ${s1.leftOpen} open workflow\\(s\\) of .*b\\.jsonl: it holds ${s1.started}, of which ${s1.started! - s1.leftOpen!} finished in the run that started them`,
      ),
    );

    // The same file again: everything has an outcome now, so a check would check nothing.
    const again = runCli(TEMPORAL_TS, ['simulate', '--address', `127.0.0.1:${port}`, '--check', '--state-file', stateFile]);
    assert.equal(again.status, 1, again.stdout);
    assert.match(again.stderr, new RegExp(`nothing to check: all ${s1.started} workflows of .*b\\.jsonl already have an outcome recorded`));
    assert.equal(s2.completed, s1.leftOpen);
    assert.equal(s2.lost, 0);
  } finally {
    await server.stop();
  }
});

test('a run rides out a graceful restart of the server (its open result long polls end with CANCELLED)', async () => {
  const port = await freePort();
  const file = join(tmp, 'c.db');
  let server = await devServer(file, port);
  const sim = startCli(TEMPORAL_TS, loadArgs(port, '10s', '--drain', '60s', '--timer-max', '4s'));
  let stdout = '';
  sim.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  try {
    await sim.waitFor(/\d+s started [1-9]\d* completed [1-9]/, 30_000);
    // SIGTERM: the server waits its grace period, then cancels the long polls still open.
    assert.equal(await server.stop('SIGTERM'), 0);
    server = await devServer(file, port);
    assert.equal(await sim.exited(), 0, sim.output().slice(-4000));
    const s = summaryOf(stdout);
    assert.equal(s.lost, 0);
    assert.equal(s.failed, 0);
    assert.equal(s.completed, s.started);
  } finally {
    await sim.stop('SIGKILL');
    await server.stop();
  }
});

test('a check with nothing to check is refused before it connects: a missing file, an empty one, one with nothing open', () => {
  const empty = join(tmp, 'empty.jsonl');
  writeFileSync(empty, '');
  const finished = join(tmp, 'finished.jsonl');
  const started = { type: 'started', kind: 'timer', seed: 1, n: 100, workflowId: 'w1', runId: 'r1', expected: 1, startedAtMs: 0 };
  writeFileSync(finished, `${JSON.stringify(started)}\n${JSON.stringify({ type: 'outcome', workflowId: 'w1', outcome: 'completed', latencyMs: 5 })}\n`);
  const cases: [string, RegExp][] = [
    [join(tmp, 'typo.jsonl'), /the state file .*typo\.jsonl does not exist: give --state-file the file an earlier simulate run wrote/],
    [tmp, /the state file .* is not a file/],
    [empty, /the state file .*empty\.jsonl holds no workflows .* there is nothing to check/],
    [
      finished,
      /nothing to check: all 1 workflows of .*finished\.jsonl already have an outcome recorded by the run that started them \(1 completed, 0 failed, 0 with a wrong result\)\. A check after an upgrade needs workflows left open across it: start them with `simulate --leave-open --state-file FILE`/,
    ],
  ];
  for (const [file, expected] of cases) {
    // Nothing listens on port 1: a check that tried to connect would wait and fail otherwise.
    const began = Date.now();
    const r = runCli(TEMPORAL_TS, ['simulate', '--address', '127.0.0.1:1', '--check', '--state-file', file]);
    assert.equal(r.status, 1, file);
    assert.match(r.stderr, expected);
    assert.equal(r.stdout, '', 'no summary: nothing was checked');
    assert.ok(Date.now() - began < 30_000, 'refused at once, without connecting');
  }
});

test('bad flags are refused with a sentence', () => {
  const cases: [string[], RegExp][] = [
    [['--duration', '10 minutes'], /--duration "10 minutes" is not a duration/],
    [['--rate', '-1'], /--rate "-1" must be a positive number/],
    [['--concurrency', '1.5'], /--concurrency "1\.5" must be a positive whole number/],
    [['--mix', 'activities=3,bogus=1'], /--mix "activities=3,bogus=1": "bogus=1" must be KIND=WEIGHT/],
    [['--mix', 'timer=0'], /gives every kind weight 0/],
    [['--check'], /--check needs --state-file/],
    [['--timer-max', 'long'], /--timer-max "long" is not a duration/],
  ];
  for (const [args, expected] of cases) {
    const r = runCli(TEMPORAL_TS, ['simulate', '--address', '127.0.0.1:1', ...args]);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, expected);
  }
});
