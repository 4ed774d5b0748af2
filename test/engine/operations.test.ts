/**
 * The operator RPCs of issue 14 (item 2) through the official client's raw WorkflowService and
 * OperatorService calls, with a real worker, on every plugin: ResetWorkflowExecution (the worker
 * replays the copied history and completes the new run), DeleteWorkflowExecution,
 * GetWorkflowExecutionHistoryReverse, DescribeTaskQueue, ListTaskQueuePartitions,
 * ResetStickyTaskQueue, the activity ...ById calls, UpdateWorkflowExecutionOptions, DeleteNamespace
 * and ListClusters; and their refusals (a bad reset point changes nothing).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, after, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, newTaskQueue, runWorkerUntil, sharedWorker, sleep, uid, type ServerOpts } from './harness';
import { makeVisibilityDb, eventually, type VisibilityDb } from '../visibility/harness';
import type { Client } from '@temporalio/client';

type GrpcErr = { code?: number; details?: string };
const E = temporal.api.enums.v1;
const ET = E.EventType;
const ns = 'default';
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const n = (v: unknown): number => Number(v);
const payload = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });

async function history(client: Client, workflowId: string, runId: string) {
  const r = await client.workflowService.getWorkflowExecutionHistory({ namespace: ns, execution: { workflowId, runId } });
  return r.history?.events ?? [];
}

/** Event ids of a run's WorkflowTaskCompleted events. */
async function completedTaskIds(client: Client, workflowId: string, runId: string): Promise<number[]> {
  return (await history(client, workflowId, runId)).filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map((e) => n(e.eventId));
}

/** Wait until the run's history has `count` WorkflowTaskCompleted events (the worker caught up). */
async function tasksCompleted(client: Client, workflowId: string, runId: string, count: number): Promise<number[]> {
  let ids: number[] = [];
  await eventually(`${count} workflow tasks of ${workflowId}`, async () => (ids = await completedTaskIds(client, workflowId, runId)).length >= count, 30_000);
  return ids;
}

/** TTS_ENGINES=sqlite,mysql8 runs a subset (a quicker loop while working on one plugin). */
const PLUGINS = process.env.TTS_ENGINES ? ENGINES.filter((e) => process.env.TTS_ENGINES!.split(',').includes(e)) : ENGINES;

for (const plugin of PLUGINS) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const serverOpts: ServerOpts = {};
    let vis: VisibilityDb | undefined;
    before(async () => {
      if (skip) return;
      vis = await makeVisibilityDb(plugin);
      serverOpts.visibility = vis.config;
    });
    const env = sharedWorker(plugin, { skip, server: serverOpts });
    after(async () => vis?.cleanup());

    test(
      'reset to a workflow task: copied history, task failed RESET_WORKFLOW, later signals reapplied, old run terminated and linked; the worker completes the new run',
      { skip, timeout: 120_000 },
      async () => {
        const { client, taskQueue } = env();
        const workflowId = uid('reset');
        const h = await client.workflow.start('signalCollector', { workflowId, taskQueue });
        const baseRunId = h.firstExecutionRunId;
        await tasksCompleted(client, workflowId, baseRunId, 1);
        await h.signal('add', 'a');
        await tasksCompleted(client, workflowId, baseRunId, 2);
        await h.signal('add', 'b');
        const done = await tasksCompleted(client, workflowId, baseRunId, 3);
        const point = done[1]!; // the task that saw 'a'
        const before = await history(client, workflowId, baseRunId);

        const requestId = randomUUID();
        const reset = await client.workflowService.resetWorkflowExecution({
          namespace: ns,
          workflowExecution: { workflowId, runId: baseRunId },
          reason: 'replay from a',
          workflowTaskFinishEventId: point as never,
          requestId,
          identity: 'operator',
        });
        const newRunId = reset.runId!;
        assert.ok(newRunId && newRunId !== baseRunId);
        // a repeated request creates nothing more
        const again = await client.workflowService.resetWorkflowExecution({
          namespace: ns,
          workflowExecution: { workflowId, runId: baseRunId },
          reason: 'replay from a',
          workflowTaskFinishEventId: point as never,
          requestId,
        });
        assert.equal(again.runId, newRunId);

        // the new run: events before the point as they were, then the failed task, the reapplied signal, a new task
        const events = await history(client, workflowId, newRunId);
        assert.deepEqual(
          events.slice(0, point - 1).map((e) => [n(e.eventId), e.eventType]),
          before.slice(0, point - 1).map((e) => [n(e.eventId), e.eventType]),
        );
        const failed = events[point - 1]!;
        assert.equal(failed.eventType, ET.EVENT_TYPE_WORKFLOW_TASK_FAILED);
        const fa = failed.workflowTaskFailedEventAttributes!;
        assert.equal(fa.cause, E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
        assert.equal(fa.baseRunId, baseRunId);
        assert.equal(fa.newRunId, newRunId);
        assert.equal(fa.failure?.message, 'replay from a');
        const reapplied = events.filter((e, i) => i >= point && e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
        assert.deepEqual(
          reapplied.map((e) => defaultPayloadConverter.fromPayload(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!)),
          ['b'],
        );

        // the old run: terminated by the resetter with the reason, and it names the new run
        const old = await client.workflowService.describeWorkflowExecution({ namespace: ns, execution: { workflowId, runId: baseRunId } });
        assert.equal(old.workflowExecutionInfo?.status, E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
        assert.equal(old.workflowExtendedInfo?.resetRunId, newRunId);
        const oldEvents = await history(client, workflowId, baseRunId);
        const term = oldEvents[oldEvents.length - 1]!;
        assert.equal(term.eventType, ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
        assert.equal(term.workflowExecutionTerminatedEventAttributes?.reason, 'replay from a');
        assert.equal(term.workflowExecutionTerminatedEventAttributes?.identity, 'history-resetter');

        // the worker replays the copied history, sees 'a' and the reapplied 'b', and completes
        const current = client.workflow.getHandle(workflowId);
        assert.equal((await current.describe()).runId, newRunId);
        await current.signal('done');
        assert.equal(await current.result(), 'a,b');
      },
    );

    test('reset with reapply type NONE drops the later signals; reset of a completed run to its first task', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const workflowId = uid('reset-none');
      const h = await client.workflow.start('signalCollector', { workflowId, taskQueue });
      const runId = h.firstExecutionRunId;
      await tasksCompleted(client, workflowId, runId, 1);
      await h.signal('add', 'x');
      await h.signal('add', 'y');
      await h.signal('done');
      assert.equal(await h.result(), 'x,y');
      const [first] = await completedTaskIds(client, workflowId, runId);

      const none = await client.workflowService.resetWorkflowExecution({
        namespace: ns,
        workflowExecution: { workflowId, runId },
        reason: 'without signals',
        workflowTaskFinishEventId: first! as never,
        requestId: randomUUID(),
        resetReapplyType: E.ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
      });
      const noneHandle = client.workflow.getHandle(workflowId, none.runId!);
      await noneHandle.signal('add', 'z');
      await noneHandle.signal('done');
      assert.equal(await noneHandle.result(), 'z');
      // the completed base run is not terminated, only linked (to the latest reset)
      const base = await client.workflowService.describeWorkflowExecution({ namespace: ns, execution: { workflowId, runId } });
      assert.equal(base.workflowExecutionInfo?.status, E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      assert.equal(base.workflowExtendedInfo?.resetRunId, none.runId);

      // all signals (the default) to the same point of the same base run
      const all = await client.workflowService.resetWorkflowExecution({
        namespace: ns,
        workflowExecution: { workflowId, runId },
        reason: 'with signals',
        workflowTaskFinishEventId: first! as never,
        requestId: randomUUID(),
      });
      const allHandle = client.workflow.getHandle(workflowId, all.runId!);
      // 'done' was one of the signals after the point: the run completes by itself
      assert.equal(await allHandle.result(), 'x,y');
    });

    test('reset to a point where an activity is pending schedules it again in the new run', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const unpolled = newTaskQueue('unpolled');
      const workflowId = uid('reset-act');
      const h = await client.workflow.start('signalThenActivity', { workflowId, taskQueue, args: [unpolled] });
      const runId = h.firstExecutionRunId;
      await tasksCompleted(client, workflowId, runId, 1);
      await h.signal('add', 'ann'); // the second task schedules the activity on a queue nobody polls
      await tasksCompleted(client, workflowId, runId, 2);
      await h.signal('add', 'bob'); // the third task completes while the activity is pending
      const done = await tasksCompleted(client, workflowId, runId, 3);
      const reset = await client.workflowService.resetWorkflowExecution({
        namespace: ns,
        workflowExecution: { workflowId, runId },
        reason: 'activity pending at the point',
        workflowTaskFinishEventId: done[2]! as never,
        requestId: randomUUID(),
      });
      const newRunId = reset.runId!;
      const nh = client.workflow.getHandle(workflowId, newRunId);
      const pending = (await nh.describe()).raw.pendingActivities ?? [];
      assert.equal(pending.length, 1);
      assert.equal(pending[0]!.activityId, '1');
      assert.equal(pending[0]!.attempt, 1);
      // the new run's attempt is in matching again: complete it there
      await client.workflowService.respondActivityTaskCompletedById({ namespace: ns, workflowId, runId: newRunId, activityId: '1', result: payload('again') });
      await nh.signal('done');
      assert.equal(await nh.result(), 'again|ann,bob');
    });

    test('reset to a point where a timer is pending re-arms it: it fires at its time in the new run', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const workflowId = uid('reset-timer');
      const h = await client.workflow.start('sleepyCollector', { workflowId, taskQueue, args: [4000] });
      const runId = h.firstExecutionRunId;
      await tasksCompleted(client, workflowId, runId, 1);
      await h.signal('add', 'during-sleep');
      const done = await tasksCompleted(client, workflowId, runId, 2);
      const reset = await client.workflowService.resetWorkflowExecution({
        namespace: ns,
        workflowExecution: { workflowId, runId },
        reason: 'timer pending',
        workflowTaskFinishEventId: done[1]! as never,
        requestId: randomUUID(),
      });
      const nh = client.workflow.getHandle(workflowId, reset.runId!);
      assert.equal(await nh.result(), 'during-sleep');
      const events = await history(client, workflowId, reset.runId!);
      const started = events.filter((e) => e.eventType === ET.EVENT_TYPE_TIMER_STARTED);
      const fired = events.filter((e) => e.eventType === ET.EVENT_TYPE_TIMER_FIRED);
      assert.equal(started.length, 1, 'the timer was started once, in the copied history');
      assert.equal(fired.length, 1);
      assert.equal(n(fired[0]!.timerFiredEventAttributes?.startedEventId), n(started[0]!.eventId));
      const firedAt = n(fired[0]!.eventTime?.seconds) * 1000;
      const startedAt = n(started[0]!.eventTime?.seconds) * 1000;
      assert.ok(firedAt - startedAt >= 3000, `fired ${firedAt - startedAt} ms after it started: at its original time`);
    });

    test('bad reset points are INVALID_ARGUMENT naming the event, and change nothing', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const workflowId = uid('reset-bad');
      const h = await client.workflow.start('signalCollector', { workflowId, taskQueue });
      const runId = h.firstExecutionRunId;
      await tasksCompleted(client, workflowId, runId, 1);
      const before = await history(client, workflowId, runId);
      for (const [id, message] of [
        [1, /workflowTaskFinishEventId: is required/],
        [2, /event 2 is EVENT_TYPE_WORKFLOW_TASK_SCHEDULED; a reset point is a WorkflowTaskCompleted/],
        [99, /99 is not an event of this run: it must be > 1 and <= 4 \(this run's WorkflowTaskCompleted events: 4\)/],
      ] as const) {
        await assert.rejects(
          client.workflowService.resetWorkflowExecution({
            namespace: ns,
            workflowExecution: { workflowId },
            workflowTaskFinishEventId: id as never,
            requestId: randomUUID(),
          }),
          (e: GrpcErr) => e.code === INVALID_ARGUMENT && message.test(e.details ?? ''),
        );
      }
      assert.equal((await client.workflow.getHandle(workflowId).describe()).runId, runId);
      assert.deepEqual((await history(client, workflowId, runId)).length, before.length);
      await h.signal('done');
      assert.equal(await h.result(), '');
    });

    test('history in reverse, page by page, is the history newest first', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const workflowId = uid('reverse');
      const h = await client.workflow.start('signalCollector', { workflowId, taskQueue });
      for (const s of ['1', '2', '3']) await h.signal('add', s);
      await h.signal('done');
      await h.result();
      const forward = await history(client, workflowId, h.firstExecutionRunId);
      const reversed: number[] = [];
      let nextPageToken: Uint8Array | undefined;
      let pages = 0;
      do {
        const r = await client.workflowService.getWorkflowExecutionHistoryReverse({
          namespace: ns,
          execution: { workflowId },
          maximumPageSize: 4,
          nextPageToken,
        });
        reversed.push(...(r.history?.events ?? []).map((e) => n(e.eventId)));
        nextPageToken = r.nextPageToken?.length ? r.nextPageToken : undefined;
        pages++;
      } while (nextPageToken && pages < 100);
      assert.deepEqual(reversed, forward.map((e) => n(e.eventId)).reverse());
      assert.equal(pages, Math.ceil(forward.length / 4));
      await assert.rejects(
        client.workflowService.getWorkflowExecutionHistoryReverse({ namespace: ns, execution: { workflowId: uid('none') } }),
        (e: GrpcErr) => e.code === NOT_FOUND,
      );
    });

    test('delete: a running run is terminated and gone with its visibility record; a closed one is gone', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const running = await client.workflow.start('signalCollector', { workflowId: uid('del-run'), taskQueue });
      const closed = await client.workflow.start('greet', { workflowId: uid('del-closed'), taskQueue, args: ['x'] });
      await closed.result();
      for (const h of [running, closed]) {
        await eventually(
          'visible',
          async () =>
            (await client.workflowService.countWorkflowExecutions({ namespace: ns, query: `WorkflowId = '${h.workflowId}'` })).count?.toString() === '1',
        );
        await client.workflowService.deleteWorkflowExecution({ namespace: ns, workflowExecution: { workflowId: h.workflowId } });
        await assert.rejects(h.describe(), (e: Error) => e.name === 'WorkflowNotFoundError');
        await eventually(
          'record deleted',
          async () =>
            (await client.workflowService.countWorkflowExecutions({ namespace: ns, query: `WorkflowId = '${h.workflowId}'` })).count?.toString() === '0',
        );
      }
      // the id is free again
      const again = await client.workflow.start('greet', { workflowId: running.workflowId, taskQueue, args: ['y'] });
      assert.equal(await again.result(), 'hello y');
      await assert.rejects(
        client.workflowService.deleteWorkflowExecution({ namespace: ns, workflowExecution: { workflowId: uid('none') } }),
        (e: GrpcErr) => e.code === NOT_FOUND,
      );
    });

    test(
      'activities by id: heartbeat needs a started attempt; complete / fail an attempt nobody polled; the task queues describe their pollers and backlog',
      { skip, timeout: 120_000 },
      async () => {
        const { client, taskQueue } = env();
        const unpolled = newTaskQueue('unpolled');
        const h = await client.workflow.start('externallyCompleted', { workflowId: uid('by-id'), taskQueue, args: [unpolled] });
        const activityId = '1';
        const ids = { namespace: ns, workflowId: h.workflowId, activityId };
        await eventually('activity scheduled', async () => (await h.describe()).raw.pendingActivities?.length === 1);

        // the worker's queue: pollers with identity and last access; the unpolled queue: none, and a backlog of one
        await eventually('pollers seen', async () => {
          const d = await client.workflowService.describeTaskQueue({
            namespace: ns,
            taskQueue: { name: taskQueue },
            taskQueueType: E.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          });
          return (d.pollers ?? []).length > 0;
        });
        for (const type of [E.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, E.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]) {
          const d = await client.workflowService.describeTaskQueue({ namespace: ns, taskQueue: { name: taskQueue }, taskQueueType: type });
          const p = d.pollers![0]!;
          assert.match(p.identity ?? '', /@/);
          assert.ok(Date.now() - n(p.lastAccessTime?.seconds) * 1000 < 120_000, 'last access is recent');
        }
        const describeUnpolled = () =>
          client.workflowService.describeTaskQueue({
            namespace: ns,
            taskQueue: { name: unpolled },
            taskQueueType: E.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            includeTaskQueueStatus: true,
            reportStats: true,
          });
        // the activity task reaches matching through the transfer queue, after the scheduling commit
        await eventually('the activity task is in the unpolled queue', async () => n((await describeUnpolled()).taskQueueStatus?.backlogCountHint) > 0);
        const backlog = await describeUnpolled();
        assert.deepEqual(backlog.pollers, []);
        assert.equal(n(backlog.taskQueueStatus?.backlogCountHint), 1);
        assert.equal(n(backlog.stats?.approximateBacklogCount), 1);
        const enhanced = await client.workflowService.describeTaskQueue({
          namespace: ns,
          taskQueue: { name: taskQueue },
          apiMode: E.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
          reportPollers: true,
          reportStats: true,
        });
        const types = enhanced.versionsInfo?.['']?.typesInfo ?? {};
        assert.ok((types[E.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW]?.pollers ?? []).length > 0);
        assert.ok((types[E.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]?.pollers ?? []).length > 0);
        const parts = await client.workflowService.listTaskQueuePartitions({ namespace: ns, taskQueue: { name: taskQueue } });
        assert.equal(parts.workflowTaskQueuePartitions?.[0]?.key, taskQueue);
        assert.ok(parts.activityTaskQueuePartitions?.[0]?.ownerHostName);

        await assert.rejects(
          client.workflowService.recordActivityTaskHeartbeatById({ ...ids, details: payload('p') }),
          (e: GrpcErr) => e.code === NOT_FOUND && /activity 1 of workflow .* is not started/.test(e.details ?? ''),
        );
        await assert.rejects(
          client.workflowService.respondActivityTaskCompletedById({ ...ids, activityId: 'nope', result: payload('x') }),
          (e: GrpcErr) => e.code === NOT_FOUND && /activity nope of workflow .* not found \(pending activities: 1\)/.test(e.details ?? ''),
        );
        await client.workflowService.respondActivityTaskCompletedById({ ...ids, result: payload('done by id'), identity: 'operator' });
        assert.equal(await h.result(), 'done by id');
        const started = (await history(client, h.workflowId, h.firstExecutionRunId)).find((e) => e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED);
        assert.equal(started?.activityTaskStartedEventAttributes?.identity, 'operator');
        await assert.rejects(client.workflowService.recordActivityTaskHeartbeatById({ ...ids }), (e: GrpcErr) => e.code === NOT_FOUND);

        // fail by id (no retries): the workflow sees the failure
        const f = await client.workflow.start('externallyCompleted', { workflowId: uid('fail-by-id'), taskQueue, args: [unpolled] });
        await eventually('activity scheduled', async () => (await f.describe()).raw.pendingActivities?.length === 1);
        await client.workflowService.respondActivityTaskFailedById({
          namespace: ns,
          workflowId: f.workflowId,
          activityId,
          failure: { message: 'refused by operator' },
        });
        assert.equal(await f.result(), 'failed: refused by operator');
      },
    );

    test(
      'pause an activity: a worker polling its queue does not get it; unpause dispatches it and the workflow completes',
      { skip, timeout: 120_000 },
      async () => {
        const { client, taskQueue, port } = env();
        const later = newTaskQueue('later');
        const h = await client.workflow.start('externallyCompleted', { workflowId: uid('pause'), taskQueue, args: [later] });
        await eventually('activity scheduled', async () => (await h.describe()).raw.pendingActivities?.length === 1);
        const ex = { workflowId: h.workflowId };
        await assert.rejects(
          client.workflowService.pauseActivity({ namespace: ns, execution: ex, id: 'nope' }),
          (e: GrpcErr) => e.code === NOT_FOUND && /activity nope is not pending in .* \(pending: 1 \(greetActivity\)\)/.test(e.details ?? ''),
        );
        await client.workflowService.pauseActivity({ namespace: ns, execution: ex, type: 'greetActivity', reason: 'maintenance' });
        const paused = (await h.describe()).raw.pendingActivities![0]!;
        assert.equal(paused.paused, true);
        assert.equal(paused.state, E.PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED);
        // a worker now polls the activity's queue: the paused attempt is not handed to it
        const outcome = await runWorkerUntil(port, later, async () => {
          await sleep(2500);
          const still = (await h.describe()).raw.pendingActivities ?? [];
          assert.equal(still.length, 1, 'still pending while paused');
          assert.equal(still[0]!.state, E.PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED);
          await client.workflowService.unpauseActivity({ namespace: ns, execution: ex, id: '1' });
          return h.result();
        });
        assert.equal(outcome, 'hello nobody from activity');
      },
    );

    test('reset sticky task queue, workflow options, list clusters', { skip, timeout: 120_000 }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('signalCollector', { workflowId: uid('opts'), taskQueue });
      await tasksCompleted(client, h.workflowId, h.firstExecutionRunId, 1);
      await client.workflowService.resetStickyTaskQueue({ namespace: ns, execution: { workflowId: h.workflowId } });
      const updated = await client.workflowService.updateWorkflowExecutionOptions({
        namespace: ns,
        workflowExecution: { workflowId: h.workflowId },
        workflowExecutionOptions: { priority: { priorityKey: 2 } },
        updateMask: { paths: ['priority'] },
        identity: 'operator',
      });
      assert.equal(updated.workflowExecutionOptions?.priority?.priorityKey, 2);
      const d = await h.describe();
      assert.equal(d.raw.workflowExecutionInfo?.priority?.priorityKey, 2);
      // no WorkflowExecutionOptionsUpdated event (the SDK's core fails a task on one): the worker goes on
      await h.signal('add', 'after-options');
      await h.signal('done');
      assert.equal(await h.result(), 'after-options');
      const ev = (await history(client, h.workflowId, h.firstExecutionRunId)).find((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED);
      assert.equal(ev, undefined);
      await assert.rejects(
        client.workflowService.resetStickyTaskQueue({ namespace: ns, execution: { workflowId: h.workflowId } }),
        (e: GrpcErr) => e.code === NOT_FOUND,
      );

      const clusters = await client.connection.operatorService.listClusters({});
      assert.equal(clusters.clusters?.length, 1);
      assert.equal(clusters.clusters![0]!.clusterName, 'active');
      assert.equal(n(clusters.clusters![0]!.historyShardCount) > 0, true);
    });

    test(
      'delete namespace: renamed and marked deleted at once, its executions reclaimed, then gone; the name is free again',
      { skip, timeout: 120_000 },
      async () => {
        const { client, port } = env();
        const svc = client.workflowService;
        const name = uid('doomed');
        await svc.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86400 } as never });
        const tq = newTaskQueue('doomed');
        // a run nobody works on (no worker polls this namespace), still running when the namespace goes
        await svc.startWorkflowExecution({
          namespace: name,
          workflowId: 'w1',
          workflowType: { name: 'signalCollector' },
          taskQueue: { name: tq },
          requestId: randomUUID(),
        });
        const visible = () => svc.countWorkflowExecutions({ namespace: name, query: '' });
        await eventually('visible', async () => (await visible()).count?.toString() === '1');
        const { id } = (await svc.describeNamespace({ namespace: name })).namespaceInfo!;
        const r = await client.connection.operatorService.deleteNamespace({ namespace: name });
        assert.match(r.deletedNamespace ?? '', new RegExp(`^${name}-deleted-[0-9a-f]{5}$`));
        await assert.rejects(svc.describeNamespace({ namespace: name }), (e: GrpcErr) => e.code === NOT_FOUND);
        await eventually('namespace row removed', async () => {
          try {
            await svc.describeNamespace({ id: id! });
            return false;
          } catch (e) {
            return (e as GrpcErr).code === NOT_FOUND;
          }
        });
        // the name can be registered again, with nothing of the old one
        await svc.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86400 } as never });
        assert.equal((await visible()).count?.toString(), '0');
        await assert.rejects(svc.describeWorkflowExecution({ namespace: name, execution: { workflowId: 'w1' } }), (e: GrpcErr) => e.code === NOT_FOUND);
        await assert.rejects(client.connection.operatorService.deleteNamespace({ namespace: uid('never') }), (e: GrpcErr) => e.code === NOT_FOUND);
        await assert.rejects(
          client.connection.operatorService.deleteNamespace({ namespace: name, namespaceDeleteDelay: { seconds: 60 } as never }),
          (e: GrpcErr) => e.code === INVALID_ARGUMENT && /namespaceDeleteDelay: is not supported/.test(e.details ?? ''),
        );
        void port;
        await sleep(0);
      },
    );
  });
}
