/**
 * Schedules through the official SDK's ScheduleClient (@temporalio/client) against a real server
 * and worker, on every plugin: create / describe / list (with a query) / count / update / pause /
 * unpause / trigger / backfill / delete / ListScheduleMatchingTimes; overlap SKIP, pause on failure,
 * limited actions, memo and search attributes on the schedule and on the runs it starts, and the
 * refusals (bad spec, duplicate id, unknown schedule, stale conflict token).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleHandle } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import { after, before } from 'node:test';
import { Connection, Client as SdkClient } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { RunningTemporalServer } from '../../src/server/server';
import { makeVisibilityDb, type VisibilityDb } from '../visibility/harness';
import * as activities from './workflows/activities';
import {
  createTestDb,
  ENGINES,
  engineAvailability,
  installRuntime,
  newTaskQueue,
  sleep,
  startServer,
  uid,
  workflowBundle,
  type Engine,
  type TestDb,
} from './harness';

interface SchedEnv {
  client: Client;
  taskQueue: string;
  port: number;
}

/** One server per describe: default store and visibility store both on `plugin`, a worker and a client. */
export function scheduleEnv(plugin: Engine, skip: string | boolean | undefined): () => SchedEnv {
  let env: SchedEnv | undefined;
  let db: TestDb | undefined;
  let vis: VisibilityDb | undefined;
  let server: RunningTemporalServer | undefined;
  let conn: Connection | undefined;
  let native: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  before(async () => {
    if (skip) return;
    db = await createTestDb(plugin, 'sched');
    vis = await makeVisibilityDb(plugin);
    server = await startServer(db, { visibility: vis.config });
    const address = `127.0.0.1:${server.port}`;
    const taskQueue = newTaskQueue(`sched-${plugin}`);
    installRuntime();
    native = await NativeConnection.connect({ address });
    worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), activities });
    running = worker.run();
    conn = await Connection.connect({ address });
    env = { client: new SdkClient({ connection: conn, namespace: 'default' }), taskQueue, port: server.port };
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await server?.stop();
    await running?.catch(() => undefined);
    await conn?.close();
    await native?.close();
    await db?.drop();
    await vis?.cleanup();
  });
  return () => {
    if (!env) throw new Error('scheduleEnv: not started');
    return env;
  };
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

const grpcCode = async (p: Promise<unknown>): Promise<number | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    const code = (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;
    if (code === undefined) throw err;
    return code;
  }
};

async function listIds(client: Client, query?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const s of client.schedule.list(query ? { query } : {})) out.push(s.scheduleId);
  return out;
}

for (const plugin of ENGINES) {
  describe(`schedules on ${plugin}`, async () => {
    const skip = await engineAvailability(plugin);
    const env = scheduleEnv(plugin, skip);

    test('an interval schedule fires, describes, lists, counts, pauses, triggers and is deleted', { skip }, async () => {
      const { client, taskQueue } = env();
      const scheduleId = uid('sched');
      const handle = await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'greet', args: ['sched'], taskQueue, workflowId: `${scheduleId}-wf` },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
        memo: { owner: 'team-a' },
        state: { note: 'made by the test' },
      });
      const d = await waitFor('two actions', async () => {
        const x = await handle.describe();
        return x.info.numActionsTaken >= 2 && x;
      });
      assert.equal(d.state.note, 'made by the test');
      assert.equal(d.state.paused, false);
      assert.deepEqual(d.memo, { owner: 'team-a' });
      assert.equal(d.info.nextActionTimes.length, 10);
      const recent = d.info.recentActions[0]!;
      assert.match(recent.action.workflow.workflowId, new RegExp(`^${scheduleId}-wf-\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$`));
      // the run the schedule started: its result, and the schedule's search attributes on it
      const run = client.workflow.getHandle(recent.action.workflow.workflowId, recent.action.workflow.firstExecutionRunId);
      assert.equal(await run.result(), 'hello sched');
      const runDesc = await run.describe();
      assert.deepEqual(runDesc.searchAttributes.TemporalScheduledById, [scheduleId]);
      const scheduledAt = runDesc.searchAttributes.TemporalScheduledStartTime as (Date | string)[];
      assert.equal(new Date(scheduledAt[0]!).toISOString().replace('.000', ''), recent.action.workflow.workflowId.slice(`${scheduleId}-wf-`.length));

      // listed as a schedule (with its query), never as a workflow
      await waitFor('listed', async () => (await listIds(client)).includes(scheduleId));
      assert.ok((await listIds(client, 'TemporalSchedulePaused = false')).includes(scheduleId));
      const wfIds: string[] = [];
      for await (const w of client.workflow.list()) wfIds.push(w.workflowId);
      assert.ok(!wfIds.some((w) => w.startsWith('temporal-sys-scheduler:')), 'the schedule is not a workflow in List');
      assert.ok(
        wfIds.some((w) => w.startsWith(`${scheduleId}-wf-`)),
        'the runs it started are',
      );
      const count = await client.workflowService.countSchedules({ namespace: 'default', query: '' });
      assert.ok(Number(count.count) >= 1);

      // pause: no more spec actions; the list query sees it; a trigger still starts a run
      await handle.pause('paused by the test');
      const paused = await handle.describe();
      assert.equal(paused.state.paused, true);
      assert.equal(paused.state.note, 'paused by the test');
      await waitFor('listed as paused', async () => (await listIds(client, 'TemporalSchedulePaused = true')).includes(scheduleId));
      await sleep(1500);
      const taken = (await handle.describe()).info.numActionsTaken;
      await sleep(2500);
      assert.equal((await handle.describe()).info.numActionsTaken, taken, 'no actions while paused');
      await handle.trigger();
      await waitFor('the trigger', async () => (await handle.describe()).info.numActionsTaken === taken + 1);
      await handle.unpause('back on');
      assert.equal((await handle.describe()).state.paused, false);

      await handle.delete();
      await assert.rejects(handle.describe(), ScheduleNotFoundError);
      await waitFor('gone from the list', async () => !(await listIds(client)).includes(scheduleId));
      // the runs it started stay
      assert.equal(await run.result(), 'hello sched');
    });

    test('overlap SKIP counts skipped starts; limited actions stop at zero; pause on failure', { skip }, async () => {
      const { client, taskQueue } = env();
      const skipId = uid('skip');
      const skipper = await client.schedule.create({
        scheduleId: skipId,
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'waitsForever', args: [], taskQueue, workflowId: `${skipId}-wf` },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
      });
      const d = await waitFor('skips', async () => {
        const x = await skipper.describe();
        return x.info.numActionsSkippedOverlap >= 2 && x;
      });
      assert.equal(d.info.numActionsTaken, 1);
      assert.equal(d.info.runningActions.length, 1);
      // the running run closes: the schedule learns it and starts the next one
      await client.workflow.getHandle(d.info.runningActions[0]!.workflow.workflowId).terminate('test');
      await waitFor('the next start', async () => (await skipper.describe()).info.numActionsTaken >= 2);
      await skipper.delete();

      const limitedId = uid('limited');
      const limited = await client.schedule.create({
        scheduleId: limitedId,
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'greet', args: ['x'], taskQueue, workflowId: `${limitedId}-wf` },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
        state: { remainingActions: 2 },
      });
      await waitFor('two actions', async () => (await limited.describe()).info.numActionsTaken === 2);
      await sleep(2500);
      const ld = await limited.describe();
      assert.equal(ld.info.numActionsTaken, 2);
      assert.equal(ld.state.remainingActions, 0);
      assert.equal(ld.info.nextActionTimes.length, 0);
      await limited.delete();

      const failId = uid('fails');
      const failing = await client.schedule.create({
        scheduleId: failId,
        spec: { intervals: [{ every: '1s' }] },
        action: { type: 'startWorkflow', workflowType: 'failing', args: ['boom'], taskQueue, workflowId: `${failId}-wf`, retry: { maximumAttempts: 1 } },
        policies: { pauseOnFailure: true },
      });
      const fd = await waitFor('paused after the failure', async () => {
        const x = await failing.describe();
        return x.state.paused && x;
      });
      assert.match(fd.state.note ?? '', /paused due to workflow failure/);
      const n = fd.info.numActionsTaken;
      await sleep(2000);
      assert.equal((await failing.describe()).info.numActionsTaken, n, 'paused: no more starts');
      await failing.delete();
    });

    test('backfill, update with the conflict token, matching times, search attributes on the schedule', { skip }, async () => {
      const { client, taskQueue } = env();
      await client.connection.operatorService
        .addSearchAttributes({ namespace: 'default', searchAttributes: { ScheduleOwner: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } })
        .catch((err: { code?: number }) => assert.equal(err.code, grpcStatus.ALREADY_EXISTS));
      const id = uid('backfill');
      const handle: ScheduleHandle = await client.schedule.create({
        scheduleId: id,
        spec: { calendars: [{ hour: { start: 0, end: 23 }, minute: 0 }] }, // every hour on the hour
        action: { type: 'startWorkflow', workflowType: 'greet', args: ['bf'], taskQueue, workflowId: `${id}-wf` },
        state: { paused: true, note: 'only backfills' },
        searchAttributes: { ScheduleOwner: ['finance'] },
      });
      const hour = 3600_000;
      const end = new Date(Math.floor(Date.now() / hour) * hour - hour);
      const start = new Date(end.getTime() - 2 * hour);
      await handle.backfill({ start, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const d = await waitFor('three backfilled runs', async () => {
        const x = await handle.describe();
        return x.info.numActionsTaken === 3 && x;
      });
      const ids = d.info.recentActions.map((a) => a.action.workflow.workflowId).sort();
      assert.deepEqual(
        ids,
        [start, new Date(start.getTime() + hour), end].map((t) => `${id}-wf-${t.toISOString().replace('.000', '')}`),
      );

      // the schedule's own search attribute: listed by it, and described
      await waitFor('listed by its search attribute', async () => (await listIds(client, `ScheduleOwner = 'finance'`)).includes(id));
      assert.ok(!(await listIds(client, `ScheduleOwner = 'sales'`)).includes(id));
      assert.deepEqual(d.searchAttributes.ScheduleOwner, ['finance']);

      // matching times: every hour in (start, end + 1h]
      const mt: { startTime?: unknown[] | null } = await client.workflowService.listScheduleMatchingTimes({
        namespace: 'default',
        scheduleId: id,
        startTime: { seconds: (start.getTime() / 1000) as never },
        endTime: { seconds: (end.getTime() / 1000 + 3600) as never },
      });
      assert.equal(mt.startTime?.length, 3);

      // update: a new spec; a stale conflict token is refused
      const before = await client.workflowService.describeSchedule({ namespace: 'default', scheduleId: id });
      await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '1h' }] }, state: { ...prev.state, note: 'updated' } }));
      const after = await handle.describe();
      assert.equal(after.state.note, 'updated');
      assert.equal(after.spec.intervals?.[0]?.every, 3_600_000);
      const stale = grpcCode(
        client.workflowService.updateSchedule({
          namespace: 'default',
          scheduleId: id,
          schedule: before.schedule,
          conflictToken: before.conflictToken,
          requestId: 'r1',
        }),
      );
      assert.equal(await stale, grpcStatus.FAILED_PRECONDITION);
      await handle.delete();
    });

    test('overlap TERMINATE_OTHER: the running run is terminated for the next one', { skip }, async () => {
      const { client, taskQueue } = env();
      const id = uid('term');
      const h = await client.schedule.create({
        scheduleId: id,
        spec: { intervals: [{ every: '2s' }] },
        action: { type: 'startWorkflow', workflowType: 'waitsForever', args: [], taskQueue, workflowId: `${id}-wf` },
        policies: { overlap: ScheduleOverlapPolicy.TERMINATE_OTHER },
      });
      const d = await waitFor('two actions', async () => {
        const x = await h.describe();
        return x.info.numActionsTaken >= 2 && x;
      });
      const [first, second] = d.info.recentActions;
      const firstRun = await client.workflow.getHandle(first!.action.workflow.workflowId).describe();
      assert.equal(firstRun.status.name, 'TERMINATED');
      assert.equal(d.info.runningActions.length, 1);
      assert.equal(d.info.runningActions[0]!.workflow.workflowId, second!.action.workflow.workflowId);
      await h.delete();
    });

    test('refusals: duplicate id, unknown schedule, bad spec, missing action, reserved search attribute', { skip }, async () => {
      const { client, taskQueue } = env();
      const id = uid('dup');
      const opts = {
        scheduleId: id,
        spec: { cronExpressions: ['0 12 * * MON'] },
        action: { type: 'startWorkflow' as const, workflowType: 'greet', args: ['x'], taskQueue },
      };
      const h = await client.schedule.create(opts);
      await assert.rejects(client.schedule.create(opts), ScheduleAlreadyRunning);
      await assert.rejects(client.schedule.getHandle(uid('missing')).describe(), ScheduleNotFoundError);
      await assert.rejects(client.schedule.getHandle(uid('missing')).delete(), ScheduleNotFoundError);
      // Temporal's "Invalid schedule spec: ..." wording: the SDK throws a TypeError with the rest
      await assert.rejects(client.schedule.create({ ...opts, scheduleId: uid('bad'), spec: { cronExpressions: ['61 * * * *'] } }), {
        name: 'TypeError',
        message: /cron_string\[0\]\.minute: "61" is not a number in 0-59/,
      });
      const noAction = await grpcCode(client.workflowService.createSchedule({ namespace: 'default', scheduleId: uid('noact'), schedule: { spec: {} } }));
      assert.equal(noAction, grpcStatus.INVALID_ARGUMENT);
      const badSa = await grpcCode(client.schedule.create({ ...opts, scheduleId: uid('badsa'), searchAttributes: { NoSuchAttribute: ['x'] } }));
      assert.equal(badSa, grpcStatus.INVALID_ARGUMENT);
      // nothing was created by the refused calls
      const ids = await listIds(client);
      assert.ok(!ids.some((x) => x.startsWith('bad') || x.startsWith('noact')));
      const desc = await h.describe();
      assert.equal(desc.info.nextActionTimes[0]!.getUTCDay(), 1);
      await h.delete();
    });
  });
}
