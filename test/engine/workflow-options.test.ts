/**
 * Start options through the official client, on every plugin: workflow id reuse policies, conflict
 * policies (start and signal-with-start), memo, run and execution timeouts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, sharedWorker, uid as id } from './harness';

const EventType = temporal.api.enums.v1.EventType;
const isAlreadyStarted = (wid: string) => (err: unknown) => err instanceof WorkflowExecutionAlreadyStartedError && err.workflowId === wid;
const grpcCode = (code: number, re: RegExp) => (err: { code?: number; details?: string }) => err.code === code && re.test(err.details ?? '');

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test('id reuse policies on a closed run: ALLOW_DUPLICATE, ALLOW_DUPLICATE_FAILED_ONLY, REJECT_DUPLICATE', { skip }, async () => {
      const { client, taskQueue } = env();
      const completed = id('reuse-completed');
      const first = await client.workflow.start('greet', { taskQueue, workflowId: completed, args: ['1'] });
      await first.result();
      // ALLOW_DUPLICATE (the default): a new run
      const second = await client.workflow.start('greet', { taskQueue, workflowId: completed, args: ['2'], workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
      assert.notEqual(second.firstExecutionRunId, first.firstExecutionRunId);
      assert.equal(await second.result(), 'hello 2');
      // the last run completed: FAILED_ONLY and REJECT_DUPLICATE refuse
      await assert.rejects(
        client.workflow.start('greet', { taskQueue, workflowId: completed, args: ['3'], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' }),
        isAlreadyStarted(completed),
      );
      await assert.rejects(
        client.workflow.start('greet', { taskQueue, workflowId: completed, args: ['3'], workflowIdReusePolicy: 'REJECT_DUPLICATE' }),
        isAlreadyStarted(completed),
      );

      // failed and terminated runs may be reused with FAILED_ONLY, never with REJECT_DUPLICATE
      const failed = id('reuse-failed');
      await assert.rejects(client.workflow.execute('failing', { taskQueue, workflowId: failed, args: ['no'] }), WorkflowFailedError);
      await assert.rejects(
        client.workflow.start('greet', { taskQueue, workflowId: failed, args: ['x'], workflowIdReusePolicy: 'REJECT_DUPLICATE' }),
        isAlreadyStarted(failed),
      );
      const again = await client.workflow.start('greet', {
        taskQueue,
        workflowId: failed,
        args: ['again'],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      assert.equal(await again.result(), 'hello again');

      const terminated = id('reuse-terminated');
      const t = await client.workflow.start('waitsForever', { taskQueue, workflowId: terminated });
      await t.terminate('for reuse');
      const t2 = await client.workflow.start('greet', { taskQueue, workflowId: terminated, args: ['t'], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
      assert.equal(await t2.result(), 'hello t');
    });

    test('conflict policies on a running workflow: FAIL, USE_EXISTING, TERMINATE_EXISTING, and TERMINATE_IF_RUNNING', { skip }, async () => {
      const { client, taskQueue } = env();
      const wid = id('conflict');
      const running = await client.workflow.start('waitsForever', { taskQueue, workflowId: wid });
      await assert.rejects(client.workflow.start('waitsForever', { taskQueue, workflowId: wid }), isAlreadyStarted(wid));
      await assert.rejects(client.workflow.start('waitsForever', { taskQueue, workflowId: wid, workflowIdConflictPolicy: 'FAIL' }), isAlreadyStarted(wid));
      const existing = await client.workflow.start('waitsForever', { taskQueue, workflowId: wid, workflowIdConflictPolicy: 'USE_EXISTING' });
      assert.equal(existing.firstExecutionRunId, running.firstExecutionRunId);

      const replacement = await client.workflow.start('greet', { taskQueue, workflowId: wid, args: ['new'], workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
      assert.notEqual(replacement.firstExecutionRunId, running.firstExecutionRunId);
      assert.equal(await replacement.result(), 'hello new');
      const old = client.workflow.getHandle(wid, running.firstExecutionRunId);
      assert.equal((await old.describe()).status.name, 'TERMINATED');
      await assert.rejects(old.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof TerminatedFailure);

      // TERMINATE_IF_RUNNING (the reuse policy) terminates a running run and starts a new one
      const wid2 = id('tir');
      const a = await client.workflow.start('waitsForever', { taskQueue, workflowId: wid2 });
      const b = await client.workflow.start('greet', { taskQueue, workflowId: wid2, args: ['b'], workflowIdReusePolicy: 'TERMINATE_IF_RUNNING' });
      assert.notEqual(a.firstExecutionRunId, b.firstExecutionRunId);
      assert.equal(await b.result(), 'hello b');
      assert.equal((await client.workflow.getHandle(wid2, a.firstExecutionRunId).describe()).status.name, 'TERMINATED');

      // combinations Temporal refuses
      const svc = client.workflowService;
      const base = { namespace: 'default', workflowId: wid2, workflowType: { name: 'greet' }, taskQueue: { name: taskQueue } };
      await assert.rejects(
        svc.startWorkflowExecution({ ...base, workflowIdReusePolicy: 4 /* TERMINATE_IF_RUNNING */, workflowIdConflictPolicy: 2 /* USE_EXISTING */ }),
        grpcCode(3, /workflowIdReusePolicy.*TERMINATE_IF_RUNNING/),
      );
      await assert.rejects(
        svc.startWorkflowExecution({ ...base, workflowIdReusePolicy: 3 /* REJECT_DUPLICATE */, workflowIdConflictPolicy: 3 /* TERMINATE_EXISTING */ }),
        grpcCode(3, /workflowIdReusePolicy.*REJECT_DUPLICATE/),
      );
    });

    test('signal-with-start: USE_EXISTING (default) signals the run, TERMINATE_EXISTING starts a new one, FAIL is refused', { skip }, async () => {
      const { client, taskQueue } = env();
      const wid = id('sws-policy');
      const s1 = await client.workflow.signalWithStart('accumulator', { taskQueue, workflowId: wid, signal: 'add', signalArgs: [1] });
      const s2 = await client.workflow.signalWithStart('accumulator', {
        taskQueue,
        workflowId: wid,
        signal: 'add',
        signalArgs: [2],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      assert.equal(s2.signaledRunId, s1.signaledRunId);
      assert.equal(await s1.query<number>('total'), 3);

      const s3 = await client.workflow.signalWithStart('accumulator', {
        taskQueue,
        workflowId: wid,
        signal: 'add',
        signalArgs: [10],
        workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      });
      assert.notEqual(s3.signaledRunId, s1.signaledRunId);
      assert.equal((await client.workflow.getHandle(wid, s1.signaledRunId).describe()).status.name, 'TERMINATED');
      await s3.signal('done');
      assert.equal(await s3.result(), 10, 'the new run got only its own signal');

      // the run is closed now: the reuse policy decides
      await assert.rejects(
        client.workflow.signalWithStart('accumulator', {
          taskQueue,
          workflowId: wid,
          signal: 'add',
          signalArgs: [1],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
        isAlreadyStarted(wid),
      );
      await assert.rejects(
        client.workflowService.signalWithStartWorkflowExecution({
          namespace: 'default',
          workflowId: wid,
          workflowType: { name: 'accumulator' },
          taskQueue: { name: taskQueue },
          signalName: 'add',
          workflowIdConflictPolicy: 1 /* FAIL */,
        }),
        grpcCode(3, /workflowIdConflictPolicy.*FAIL/),
      );
    });

    test('memo given at start is returned by describe', { skip }, async () => {
      const { client, taskQueue } = env();
      const h = await client.workflow.start('waitsForever', {
        taskQueue,
        workflowId: id('memo'),
        memo: { owner: 'alice', limits: { n: 42, tags: ['a', 'b'] } },
      });
      const d = await h.describe();
      assert.deepEqual(d.memo, { owner: 'alice', limits: { n: 42, tags: ['a', 'b'] } });
      const started = (await h.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      assert.deepEqual(Object.keys(started.memo!.fields!).sort(), ['limits', 'owner']);
      await h.terminate();
    });

    test('workflow run timeout and execution timeout: durable timers close the run as TIMED_OUT', { skip }, async () => {
      const { client, taskQueue } = env();
      const t0 = Date.now();
      const run = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('run-to'), workflowRunTimeout: '1s' });
      // the execution timeout caps a longer run timeout
      const exec = await client.workflow.start('waitsForever', {
        taskQueue,
        workflowId: id('exec-to'),
        workflowExecutionTimeout: '1200ms',
        workflowRunTimeout: '1h',
      });
      for (const h of [run, exec]) {
        await assert.rejects(
          h.result(),
          (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure && /timed out/.test(err.message),
        );
        assert.equal((await h.describe()).status.name, 'TIMED_OUT');
        const events = (await h.fetchHistory()).events!;
        assert.equal(events[events.length - 1]!.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
      }
      assert.ok(Date.now() - t0 >= 1000);
      const started = (await exec.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      assert.equal(Number(started.workflowExecutionTimeout!.seconds), 1);
      assert.equal(Number(started.workflowRunTimeout!.seconds), 1, 'run timeout capped by the execution timeout');
      assert.equal(started.workflowRunTimeout!.nanos, 200_000_000);
    });
  });
}
