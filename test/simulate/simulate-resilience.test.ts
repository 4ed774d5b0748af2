/**
 * `temporal-ts simulate` does not pass silently nor hang: it exits 1 when it started nothing, or
 * when its starts keep failing past --start-grace (a namespace that does not exist; a frozen server,
 * whose calls end at their deadline); --leave-open returns although the server stopped answering;
 * several --address values spread the workflows (and the workers) over several frontends.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { TEMPORAL_TS, freePort, runCli, startCli, type LongRunning } from '../helpers/processes';

const tmp = mkdtempSync(join(tmpdir(), 'simulate-res-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function devServer(name: string): Promise<{ server: LongRunning; address: string }> {
  const port = await freePort();
  const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', join(tmp, `${name}.db`), '--port', String(port), '--headless']);
  await server.waitFor(/gRPC on/, 60_000);
  return { server, address: `127.0.0.1:${port}` };
}

async function countOn(address: string): Promise<number> {
  const conn = await Connection.connect({ address });
  try {
    return Number((await conn.workflowService.countWorkflowExecutions({ namespace: 'default' })).count);
  } finally {
    await conn.close();
  }
}

test('a run that started nothing exits 1 and says so', async () => {
  const { server, address } = await devServer('nothing');
  try {
    const r = runCli(TEMPORAL_TS, ['simulate', '--address', address, '--duration', '1s', '--rate', '0.5', '--no-worker', '-o', 'json']);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /error: simulation started nothing \(raise --rate or --duration\)/);
  } finally {
    await server.stop();
  }
});

test('starts that keep failing past --start-grace end the run with exit 1 naming the last error', async () => {
  const { server, address } = await devServer('grace');
  try {
    const began = Date.now();
    const r = runCli(TEMPORAL_TS, [
      'simulate',
      '--address',
      address,
      '-n',
      'no-such-namespace',
      '--duration',
      '30s',
      '--start-grace',
      '2s',
      '--no-worker',
      '-o',
      'json',
    ]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /error: simulation started nothing: no workflow could be started for \d+ s \(grace 2 s\); last error: .*no-such-namespace/);
    assert.ok(Date.now() - began < 25_000, 'it stopped long before --duration');
  } finally {
    await server.stop();
  }
});

test('a frozen server: every call ends at its deadline, starts give up after the grace, --leave-open returns', async () => {
  const { server, address } = await devServer('frozen');
  try {
    const sim = startCli(TEMPORAL_TS, [
      'simulate',
      '--address',
      address,
      '--duration',
      '60s',
      '--rate',
      '5',
      '--timer-max',
      '20s',
      '--mix',
      'timer=1',
      '--leave-open',
      '--state-file',
      join(tmp, 'frozen.jsonl'),
      '--start-grace',
      '3s',
      '--call-timeout',
      '2s',
      '-o',
      'json',
    ]);
    await sim.waitFor(/\d+s started [1-9]/, 30_000);
    server.child.kill('SIGSTOP');
    const began = Date.now();
    const code = await sim.exited();
    server.child.kill('SIGCONT');
    assert.equal(code, 1, sim.output().slice(-3000));
    assert.ok(Date.now() - began < 60_000, `returned ${Date.now() - began} ms after the server froze`);
    assert.match(sim.output(), /no workflow could be started for \d+ s \(grace 3 s\); last error: .*(deadline|DEADLINE_EXCEEDED|gRPC code 4)/i);
  } finally {
    server.child.kill('SIGCONT');
    await server.stop();
  }
});

test('several --address values: workflows and workers spread over every frontend, all complete', async () => {
  const a = await devServer('spread-a');
  const b = await devServer('spread-b');
  try {
    const r = runCli(TEMPORAL_TS, [
      'simulate',
      '--address',
      a.address,
      '--address',
      b.address,
      '--duration',
      '4s',
      '--rate',
      '8',
      '--drain',
      '60s',
      '-o',
      'json',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, number>;
    assert.ok(s.started! >= 20, `started ${s.started}`);
    assert.equal(s.completed, s.started);
    const [onA, onB] = [await countOn(a.address), await countOn(b.address)];
    assert.ok(onA >= s.started! / 2 - 2 && onB >= s.started! / 2 - 2, `spread: ${onA} on the first, ${onB} on the second`);
    const bad = runCli(TEMPORAL_TS, ['simulate', '--address', 'nohost', '--duration', '1s']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--address "nohost" must be HOST:PORT/);
  } finally {
    await a.server.stop();
    await b.server.stop();
  }
});
