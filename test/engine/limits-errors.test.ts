/**
 * Size limits as Temporal's defaults (blobs 2 MiB error / 512 KiB warn; history 51,200 events /
 * 50 MiB), UNIMPLEMENTED for unsupported RPCs, INVALID_ARGUMENT naming the field for bad requests,
 * on every plugin.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, defaultPayloadConverter, ServerFailure, TerminatedFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DEFAULT_LIMITS } from '../../src/history/limits';
import { ENGINES, engineAvailability, sharedWorker, uid as id } from './harness';

const E = temporal.api.enums.v1;
const MiB = 1024 * 1024;
type GrpcErr = { code?: number; details?: string };
const invalid = (re: RegExp) => (err: GrpcErr) => {
  assert.equal(err.code, 3, `expected INVALID_ARGUMENT, got ${err.code}: ${err.details}`);
  assert.match(err.details ?? '', re);
  return true;
};
const bytes = (n: number) => ({ payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(n, 7) }] });

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test("the defaults are Temporal's", { skip }, () => {
      const { server } = env();
      assert.deepEqual({ ...server.limits }, { ...DEFAULT_LIMITS });
      assert.equal(server.limits.blobSizeLimitError, 2 * MiB);
      assert.equal(server.limits.blobSizeLimitWarn, 512 * 1024);
      assert.equal(server.limits.historyCountLimitError, 51_200);
      assert.equal(server.limits.historySizeLimitError, 50 * MiB);
    });

    test('payloads over 2 MiB: start and signal inputs are INVALID_ARGUMENT naming the field and the limit', { skip }, async () => {
      const { client, taskQueue } = env();
      const svc = client.workflowService;
      const workflowId = id('big-input');
      const base = { namespace: 'default', workflowId, workflowType: { name: 'echoInput' }, taskQueue: { name: taskQueue } };
      await assert.rejects(
        svc.startWorkflowExecution({ ...base, input: bytes(2 * MiB + 100) }),
        invalid(/^input: .*exceeds the blob size limit of 2 MiB \(2097152 bytes\)/),
      );
      await assert.rejects(
        svc.signalWithStartWorkflowExecution({ ...base, signalName: 's', signalInput: bytes(3 * MiB) }),
        invalid(/^signalInput: size 3 MiB .* exceeds the blob size limit of 2 MiB/),
      );
      await assert.rejects(client.workflow.getHandle(workflowId).describe(), 'nothing was started');
      // over the warn limit (512 KiB) only logs: the workflow runs
      const ok = await client.workflow.execute('echoInput', { taskQueue, workflowId, args: ['w'.repeat(600 * 1024)] });
      assert.equal(ok, 600 * 1024);
      const h = await client.workflow.start('accumulator', { taskQueue, workflowId: id('big-signal') });
      await assert.rejects(
        svc.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: h.workflowId }, signalName: 'add', input: bytes(2 * MiB + 1) }),
        invalid(/^input: .*exceeds the blob size limit/),
      );
      await h.terminate();
    });

    test(
      'payloads over 2 MiB from the worker: a workflow result fails the workflow, an activity result or heartbeat fails the activity (no retry)',
      { skip },
      async () => {
        const { client, taskQueue } = env();
        const h = await client.workflow.start('bigWorkflowResult', { taskQueue, workflowId: id('big-result'), args: [2 * MiB + 10] });
        await assert.rejects(h.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ServerFailure, String(err));
          assert.match(err.cause.message, /^CompleteWorkflowExecutionCommandAttributes\.Result exceeds size limit: .*2 MiB/);
          assert.equal(err.cause.nonRetryable, true);
          return true;
        });
        const types = (await h.fetchHistory()).events!.map((e) => [e.eventType, e.workflowTaskFailedEventAttributes?.cause ?? undefined]);
        assert.deepEqual(types.slice(-2), [
          [E.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES],
          [E.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, undefined],
        ]);

        await assert.rejects(client.workflow.execute('bigActivityResult', { taskQueue, workflowId: id('big-act'), args: [2 * MiB + 10] }), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof ServerFailure, String(err));
          assert.match(err.cause.cause.message, /^Complete result exceeds size limit/);
          return true;
        });
        await assert.rejects(client.workflow.execute('bigActivityHeartbeat', { taskQueue, workflowId: id('big-hb'), args: [2 * MiB + 10] }), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof ServerFailure, String(err));
          assert.match(err.cause.cause.message, /^Heartbeat details exceed size limit/);
          return true;
        });
      },
    );

    test('history count and size limits terminate the workflow; the call that crossed them is INVALID_ARGUMENT', { skip }, async () => {
      const { client, taskQueue, server } = env();
      const saved = { ...server.limits };
      try {
        server.limits.historyCountLimitError = 30;
        const many = await client.workflow.start('manyTimers', { taskQueue, workflowId: id('count-limit'), args: [20] });
        await assert.rejects(
          many.result(),
          (err: unknown) =>
            err instanceof WorkflowFailedError && err.cause instanceof TerminatedFailure && err.message === 'Workflow history count exceeds limit.',
        );
        const events = (await many.fetchHistory()).events!;
        assert.ok(events.length <= 34, `terminated near the limit, at ${events.length} events`);
        assert.equal(events[events.length - 1]!.workflowExecutionTerminatedEventAttributes?.reason, 'Workflow history count exceeds limit.');

        // a signal that crosses the limit: the workflow is terminated and the signal answers INVALID_ARGUMENT
        const acc = await client.workflow.start('accumulator', { taskQueue, workflowId: id('count-signal') });
        await acc.signal('add', 1);
        await acc.query('total');
        server.limits.historyCountLimitError = (await acc.fetchHistory()).events!.length;
        await assert.rejects(
          client.workflowService.signalWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId: acc.workflowId },
            signalName: 'add',
            input: { payloads: [defaultPayloadConverter.toPayload(2)] },
          }),
          invalid(/^Workflow history count exceeds limit\.$/),
        );
        assert.equal((await acc.describe()).status.name, 'TERMINATED');

        Object.assign(server.limits, saved);
        server.limits.historySizeLimitError = 8 * 1024;
        const big = await client.workflow.start('echoInput', { taskQueue, workflowId: id('size-limit'), args: ['s'.repeat(10 * 1024)] });
        await assert.rejects(big.result(), (err: unknown) => err instanceof WorkflowFailedError && err.message === 'Workflow history size exceeds limit.');
      } finally {
        Object.assign(server.limits, saved);
      }
    });

    test('unsupported RPCs answer UNIMPLEMENTED with a sentence naming the RPC', { skip }, async () => {
      const { client } = env();
      const svc = client.workflowService;
      for (const call of [
        () => svc.pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: 'x' } }),
        () => svc.updateWorkerBuildIdCompatibility({ namespace: 'default', taskQueue: 'x' }),
      ]) {
        await assert.rejects(call(), (err: GrpcErr) => {
          assert.equal(err.code, 12);
          assert.match(err.details ?? '', /^WorkflowService\.(PollNexusTaskQueue|UpdateWorkerBuildIdCompatibility) is not implemented by this server\b.*\.$/);
          return true;
        });
      }
    });

    test('bad requests are INVALID_ARGUMENT naming the field (never INTERNAL)', { skip }, async () => {
      const { client, taskQueue } = env();
      const svc = client.workflowService;
      const wid = id('bad');
      const start = { namespace: 'default', workflowId: wid, workflowType: { name: 'greet' }, taskQueue: { name: taskQueue } };
      const token = (o: object) => Buffer.from(JSON.stringify(o));
      const cases: [string, () => Promise<unknown>, RegExp][] = [
        [
          'negative run timeout',
          () => svc.startWorkflowExecution({ ...start, workflowRunTimeout: { seconds: -5 as never } }),
          /^workflowRunTimeout: must not be negative/,
        ],
        [
          'negative task timeout',
          () => svc.startWorkflowExecution({ ...start, workflowTaskTimeout: { seconds: 0 as never, nanos: -1 } }),
          /^workflowTaskTimeout/,
        ],
        ['empty workflow type', () => svc.startWorkflowExecution({ ...start, workflowType: { name: '' } }), /^workflowType\.name: is required/],
        ['empty task queue', () => svc.startWorkflowExecution({ ...start, taskQueue: { name: '' } }), /^taskQueue\.name: is required/],
        ['bad reuse policy', () => svc.startWorkflowExecution({ ...start, workflowIdReusePolicy: 99 as never }), /^workflowIdReusePolicy: 99 is not a valid/],
        [
          'bad conflict policy',
          () => svc.startWorkflowExecution({ ...start, workflowIdConflictPolicy: 42 as never }),
          /^workflowIdConflictPolicy: 42 is not a valid/,
        ],
        ['bad retry policy', () => svc.startWorkflowExecution({ ...start, retryPolicy: { backoffCoefficient: 0.5 } }), /^retryPolicy\.backoffCoefficient/],
        ['negative maximum attempts', () => svc.startWorkflowExecution({ ...start, retryPolicy: { maximumAttempts: -1 } }), /^retryPolicy\.maximumAttempts/],
        ['empty namespace', () => svc.startWorkflowExecution({ ...start, namespace: '' }), /^namespace: is required/],
        [
          'empty signal name',
          () => svc.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: wid }, signalName: '' }),
          /^signalName: is required/,
        ],
        ['no workflow id', () => svc.describeWorkflowExecution({ namespace: 'default', execution: {} }), /^execution\.workflowId: is required/],
        [
          'malformed run id',
          () => svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: wid, runId: 'not-a-uuid' } }),
          /^execution\.runId: .*not a valid run id/,
        ],
        [
          'bad history filter',
          () => svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: wid }, historyEventFilterType: 7 as never }),
          /^historyEventFilterType/,
        ],
        [
          'bad page token',
          () => svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: wid }, nextPageToken: Buffer.from('%%%') }),
          /^nextPageToken: is malformed/,
        ],
        [
          'empty query type',
          () => svc.queryWorkflow({ namespace: 'default', execution: { workflowId: wid }, query: { queryType: '' } }),
          /^query\.queryType: is required/,
        ],
        ['empty poll task queue', () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: '' } }), /^taskQueue\.name: is required/],
        ['garbage task token', () => svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: Buffer.from('garbage') }), /^taskToken: is malformed/],
        ['empty task token', () => svc.respondActivityTaskCompleted({ namespace: 'default', taskToken: Buffer.alloc(0) }), /^taskToken: is required/],
        [
          'truncated activity token',
          () => svc.respondActivityTaskCompleted({ namespace: 'default', taskToken: token({ k: 'at' }) }),
          /^taskToken: is malformed/,
        ],
        [
          'token of the wrong kind',
          () => svc.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: token({ k: 'q', id: 'x' }) }),
          /^taskToken: is not an activity task token/,
        ],
        [
          'bad workflow task failed cause',
          () =>
            svc.respondWorkflowTaskFailed({
              namespace: 'default',
              taskToken: token({ k: 'wt', ns: 'n', wid, rid: 'r', sched: 2, started: 3, attempt: 1 }),
              cause: 999 as never,
            }),
          /^cause: 999 is not a valid value/,
        ],
        [
          'bad query result type',
          () => svc.respondQueryTaskCompleted({ namespace: 'default', taskToken: token({ k: 'q', id: 'x' }), completedType: 0 }),
          /^completedType/,
        ],
      ];
      for (const [name, call, re] of cases) {
        await assert.rejects(call(), (err: GrpcErr) => {
          assert.equal(err.code, 3, `${name}: expected INVALID_ARGUMENT, got ${err.code}: ${err.details}`);
          assert.match(err.details ?? '', re, name);
          return true;
        });
      }
      // an unknown workflow / task is NOT_FOUND, not INTERNAL
      await assert.rejects(
        svc.respondActivityTaskCompleted({
          namespace: 'default',
          taskToken: token({ k: 'at', ns: 'n', wid: 'nope', rid: '00000000-0000-0000-0000-000000000000', aid: '1', sched: 5, attempt: 1 }),
        }),
        (err: GrpcErr) => err.code === 5,
      );
      await assert.rejects(svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: id('none') } }), (err: GrpcErr) => err.code === 5);
    });
  });
}
