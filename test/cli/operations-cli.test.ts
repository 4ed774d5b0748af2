/**
 * The operations commands end to end: `workflow reset|delete`, `task-queue describe`,
 * `activity complete|fail` and `operator namespace delete`, as child processes against a real dev
 * server (`server start-dev --headless`) with a real SDK worker; text and JSON output, exit codes,
 * and the errors of bad input (which change nothing).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { runWorkerUntil } from '../engine/harness';
import { freePort, runTemporalTs, startCli, TEMPORAL_TS, type LongRunning, type RunResult } from '../helpers/processes';

const TQ = `ops-cli-tq-${process.pid}`;
const ET = temporal.api.enums.v1.EventType;
let server: LongRunning;
let address = '';
let connection: Connection;
let client: Client;
let releaseWorker: () => void = () => undefined;
let workerDone: Promise<unknown> = Promise.resolve();
let seq = 0;
const wid = (name: string) => `ops-cli-${name}-${process.pid}-${++seq}`;

const tts = (args: readonly string[]): Promise<RunResult> => runTemporalTs([...args, '--address', address]);

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.status, 0, `${what} exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.equal(r.stderr, '', `${what} wrote to stderr: ${r.stderr}`);
  return r;
}

function fails(r: RunResult, pattern: RegExp, what: string): void {
  assert.equal(r.status, 1, `${what} should exit 1, exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stderr, pattern, what);
}

const json = <T = Record<string, unknown>>(r: RunResult): T => JSON.parse(r.stdout) as T;

/** The server accepts connections (start-dev's banner text is not part of this test's contract). */
async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`the dev server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function completedTasks(workflowId: string, count: number): Promise<number[]> {
  for (let i = 0; i < 300; i++) {
    const h = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    const ids = (h.history?.events ?? []).filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map((e) => Number(e.eventId));
    if (ids.length >= count) return ids;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${workflowId} did not complete ${count} workflow tasks`);
}

before(async () => {
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(port), '--headless', '--log-level', 'warn', '-n', 'default', '-n', 'ops-doomed']);
  await listening(port, 60_000);
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
  const until = new Promise<void>((resolve) => (releaseWorker = resolve));
  workerDone = runWorkerUntil(port, TQ, until).catch((err: unknown) => process.stderr.write(`worker failed: ${String(err)}\n`));
});

after(async () => {
  releaseWorker();
  await workerDone;
  await connection?.close();
  await server?.stop();
});

describe('workflow reset / delete', () => {
  test('reset to the last workflow task: a new run that the worker completes; bad flags and points are errors', async () => {
    const id = wid('reset');
    const h = await client.workflow.start('signalCollector', { workflowId: id, taskQueue: TQ });
    await completedTasks(id, 1);
    await h.signal('add', 'a');
    await completedTasks(id, 2);

    fails(await tts(['workflow', 'reset', '-w', id, '-t', 'LastWorkflowTask']), /required option '--reason <reason>' not specified/, 'no reason');
    fails(await tts(['workflow', 'reset', '-w', id, '--reason', 'r']), /^error: give exactly one of --event-id and --type/, 'no point');
    fails(
      await tts(['workflow', 'reset', '-w', id, '--reason', 'r', '-e', '2']),
      /event 2 is EVENT_TYPE_WORKFLOW_TASK_SCHEDULED; a reset point is a WorkflowTaskCompleted/,
      'bad point',
    );
    assert.equal((await h.describe()).runId, h.firstExecutionRunId, 'a refused reset changes nothing');

    const text = ok(await tts(['workflow', 'reset', '-w', id, '-t', 'LastWorkflowTask', '--reason', 'from the CLI']), 'reset');
    const m = /Workflow reset:\n {2}WorkflowId +\S+\n {2}EventId +(\d+)\n {2}RunId +([0-9a-f-]{36})\n$/.exec(text.stdout);
    assert.ok(m, text.stdout);
    const current = client.workflow.getHandle(id);
    assert.equal((await current.describe()).runId, m[2]);
    // the old run names the new one
    assert.match(
      ok(await tts(['workflow', 'describe', '-w', id, '-r', h.firstExecutionRunId]), 'describe old').stdout,
      new RegExp(`\n {2}ResetRunId +${m[2]}\n`),
    );
    await current.signal('add', 'b');
    await current.signal('done');
    assert.equal(await current.result(), 'a,b');

    // JSON, to the first task, dropping the signals after it
    const j = json<{ runId: string; eventId: number }>(
      ok(
        await tts(['workflow', 'reset', '-w', id, '-r', m[2]!, '-t', 'FirstWorkflowTask', '--reason', 'again', '--reapply-exclude', 'Signal', '-o', 'json']),
        'reset json',
      ),
    );
    assert.equal(j.eventId, 4);
    const again = client.workflow.getHandle(id, j.runId);
    await again.signal('done');
    assert.equal(await again.result(), '');
  });

  test('delete removes a run (a running one is terminated first); a missing one is an error', async () => {
    const id = wid('delete');
    const h = await client.workflow.start('signalCollector', { workflowId: id, taskQueue: TQ });
    assert.equal(ok(await tts(['workflow', 'delete', '-w', id]), 'delete').stdout, 'Delete workflow succeeded\n');
    await assert.rejects(h.describe(), (e: Error) => e.name === 'WorkflowNotFoundError');
    fails(await tts(['workflow', 'delete', '-w', id]), /^error: .*not found/i, 'delete again');
  });
});

describe('task-queue describe / activity complete|fail', () => {
  test('pollers and backlog, in text and JSON; an activity nobody polls completed and failed by id', async () => {
    const unpolled = `ops-cli-unpolled-${process.pid}`;
    const id = wid('act');
    const h = await client.workflow.start('externallyCompleted', { workflowId: id, taskQueue: TQ, args: [unpolled] });
    for (let i = 0; i < 100 && ((await h.describe()).raw.pendingActivities ?? []).length === 0; i++) await new Promise((r) => setTimeout(r, 100));

    const text = ok(await tts(['task-queue', 'describe', '-t', TQ]), 'describe');
    assert.match(text.stdout, /Pollers:\n {2}TaskQueueType +Identity +LastAccessTime +RatePerSecond\n/);
    assert.match(text.stdout, /\n {2}workflow +\S+@\S+ +\S+/);
    assert.match(text.stdout, /\n {2}activity +\S+@\S+ +\S+/);
    const backlog = json<{ pollers: unknown[]; stats: { type: string; approximateBacklogCount: number }[] }>(
      ok(await tts(['task-queue', 'describe', '-t', unpolled, '--task-queue-type', 'activity', '-o', 'json']), 'describe json'),
    );
    assert.deepEqual(backlog.pollers, []);
    assert.deepEqual(backlog.stats, [{ type: 'activity', approximateBacklogCount: 1 }]);
    fails(await tts(['task-queue', 'describe']), /required option '-t, --task-queue <name>' not specified/, 'no queue');

    fails(await tts(['activity', 'complete', '-w', id, '--activity-id', '1', '--result', '{bad']), /^error: --result/, 'bad JSON');
    fails(await tts(['activity', 'complete', '-w', id, '--activity-id', '9', '--result', '1']), /activity 9 of workflow .* not found/, 'no such activity');
    assert.equal(
      ok(await tts(['activity', 'complete', '-w', id, '--activity-id', '1', '--result', '"by the CLI"']), 'complete').stdout,
      'Activity 1 completed\n',
    );
    assert.equal(await h.result(), 'by the CLI');

    const f = await client.workflow.start('externallyCompleted', { workflowId: wid('act-fail'), taskQueue: TQ, args: [unpolled] });
    for (let i = 0; i < 100 && ((await f.describe()).raw.pendingActivities ?? []).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    fails(await tts(['activity', 'pause', '-w', f.workflowId]), /^error: name the activity: exactly one of --activity-id or --activity-type/, 'pause what');
    assert.equal(ok(await tts(['activity', 'pause', '-w', f.workflowId, '-a', '1']), 'pause').stdout, 'Activity 1 paused\n');
    assert.equal((await f.describe()).raw.pendingActivities?.[0]?.paused, true);
    assert.equal(ok(await tts(['activity', 'unpause', '-w', f.workflowId, '--match-all']), 'unpause').stdout, 'Activities unpaused\n');
    assert.equal((await f.describe()).raw.pendingActivities?.[0]?.paused, false);
    ok(await tts(['activity', 'fail', '-w', f.workflowId, '--activity-id', '1', '--reason', 'operator says no', '--detail', '{"ticket":7}']), 'fail');
    assert.equal(await f.result(), 'failed: operator says no');
  });
});

describe('operator namespace delete', () => {
  test('asks for --yes, then renames the namespace and frees its name', async () => {
    fails(
      await tts(['operator', 'namespace', 'delete', 'ops-doomed']),
      /^error: deleting namespace ops-doomed deletes all its workflows: pass --yes to confirm/,
      'no --yes',
    );
    fails(await tts(['operator', 'namespace', 'delete', '--yes']), /^error: name the namespace to delete/, 'no name');
    const r = ok(await tts(['operator', 'namespace', 'delete', 'ops-doomed', '--yes']), 'delete');
    assert.match(r.stdout, /^Namespace ops-doomed has been deleted \(renamed ops-doomed-deleted-[0-9a-f]{5}; its workflows are removed in the background\)\n$/);
    fails(await tts(['operator', 'namespace', 'describe', 'ops-doomed']), /not found/i, 'describe after delete');
    fails(await tts(['operator', 'namespace', 'delete', 'ops-doomed', '--yes']), /not found/i, 'delete again');
  });
});
