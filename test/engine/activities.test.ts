/**
 * Activity heartbeats (details carried to the next attempt, including the ones the worker sends only
 * with the failure: activity_failure_include_heartbeat), the heartbeat timeout, and
 * DescribeWorkflowExecution's pending activities and pending workflow task, on every plugin.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, newTaskQueue, sharedWorker, sleep, uid as id } from './harness';

const E = temporal.api.enums.v1;

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test('heartbeat details reach the next attempt, also the last ones sent only with the failure (activity_failure_include_heartbeat)', { skip }, async () => {
      const { client, taskQueue } = env();
      const info = await client.workflowService.getSystemInfo({});
      assert.equal(info.capabilities?.activityFailureIncludeHeartbeat, true);
      // attempt 1 heartbeats 1, 2, 3 within the worker's throttle interval: only 1 is sent as a
      // heartbeat, 3 travels as RespondActivityTaskFailed.last_heartbeat_details
      assert.equal(await client.workflow.execute('heartbeatResume', { taskQueue, workflowId: id('hb-resume') }), 'attempt 2 resumed from 3');
    });

    test(
      "schedule-to-start equal to schedule-to-close (or unset) on a queue nobody polls: SCHEDULE_TO_START, as Temporal's timer order",
      { skip },
      async () => {
        const { client, taskQueue } = env();
        const idle = newTaskQueue('idle');
        const cases: [number, number, string][] = [
          [1500, 1500, 'SCHEDULE_TO_START'], // equal: both timers are due together, schedule-to-start wins
          [0, 1500, 'SCHEDULE_TO_START'], // unset: it defaults to schedule-to-close
          [800, 3000, 'SCHEDULE_TO_START'], // shorter
        ];
        const got = await Promise.all(
          cases.map(([s2s, s2c], i) => client.workflow.execute('activityOnIdleQueue', { taskQueue, workflowId: id(`s2s-${i}`), args: [idle, s2s, s2c] })),
        );
        assert.deepEqual(
          got,
          cases.map((c) => c[2]),
        );
      },
    );

    test('heartbeat timeout: ActivityTaskTimedOut(HEARTBEAT) with the last heartbeat details', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('heartbeatTimeout', { taskQueue, workflowId: id('hb-timeout') });
      assert.equal(await h.result(), 'HEARTBEAT: last words');
      const timedOut = (await h.fetchHistory()).events!.find((e) => e.eventType === E.EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)!;
      const attrs = timedOut.activityTaskTimedOutEventAttributes!;
      assert.equal(attrs.failure!.timeoutFailureInfo!.timeoutType, E.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
      assert.equal(defaultPayloadConverter.fromPayload(attrs.failure!.timeoutFailureInfo!.lastHeartbeatDetails!.payloads![0]!), 'last words');
      assert.equal(attrs.retryState, E.RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
    });

    test('describe: a pending activity (attempt, last failure, heartbeat details, state) and a pending workflow task', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('pendingActivity', { taskQueue, workflowId: id('describe-pending') });
      let pa: temporal.api.workflow.v1.IPendingActivityInfo | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        pa = (await h.describe()).raw.pendingActivities?.[0];
        // attempt 2 starts with attempt 1's details ('a1', carried over) until its own first heartbeat
        if (pa?.attempt === 2 && pa.heartbeatDetails && defaultPayloadConverter.fromPayload(pa.heartbeatDetails.payloads![0]!) === 'a2') break;
        await sleep(100);
      }
      assert.ok(pa, 'a pending activity');
      assert.equal(pa.activityType?.name, 'failsOnceThenBlocks');
      assert.equal(pa.attempt, 2);
      assert.equal(pa.maximumAttempts, 5);
      assert.equal(pa.state, E.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
      assert.equal(pa.lastFailure?.message, 'first attempt failed');
      assert.equal(defaultPayloadConverter.fromPayload(pa.heartbeatDetails!.payloads![0]!), 'a2');
      assert.ok(pa.lastHeartbeatTime && pa.lastStartedTime && pa.scheduledTime);
      assert.ok(pa.lastWorkerIdentity);
      await h.cancel(); // the activity learns it from its next heartbeat and stops

      // a workflow task nobody polls for
      const idle = await client.workflow.start('greet', { taskQueue: newTaskQueue('idle'), workflowId: id('describe-wft'), args: ['x'] });
      const d = await idle.describe();
      assert.equal(d.raw.pendingWorkflowTask?.state, E.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED);
      assert.equal(d.raw.pendingWorkflowTask?.attempt, 1);
      assert.ok(d.raw.pendingWorkflowTask?.scheduledTime);
      assert.equal(d.raw.pendingActivities?.length ?? 0, 0);
      await idle.terminate();
    });
  });
}
