import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { withWorker } from './harness';
import { ENGINES, engineAvailability } from '../helpers/databases';

const id = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const ET = {
  childInitiated: 29,
  childStarted: 31,
  childCompleted: 32,
  childFailed: 33,
  childCanceled: 34,
  signalInitiated: 37,
  signalFailed: 38,
  signaled: 39,
  cancelInitiated: 22,
  cancelFailed: 23,
  cancelRequested: 24,
} as const;

async function eventTypes(client: Client, workflowId: string): Promise<number[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events!.map((e) => Number(e.eventType));
}

async function waitForStatus(client: Client, workflowId: string, status: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // not found yet (a child the parent has not started yet) counts as not there yet
    const s = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        (d) => d.status.name,
        () => 'NOT_FOUND',
      );
    if (s === status) return;
    if (Date.now() > deadline) assert.fail(`${workflowId} is ${s}, expected ${status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);

    test('child workflows: result, failure, cancellation, signals, continue-as-new child, duplicate id', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const p1 = id('parent');
        assert.equal(await client.workflow.execute('parentOfChild', { taskQueue, workflowId: p1, args: ['ann'] }), 'child says hi to ann');
        const types = await eventTypes(client, p1);
        assert.ok(types.includes(ET.childInitiated) && types.includes(ET.childStarted) && types.includes(ET.childCompleted), String(types));
        // the child knows its parent
        const child = await client.workflow.getHandle(`${p1}-child`).describe();
        assert.equal(child.status.name, 'COMPLETED');
        assert.equal(child.raw.workflowExecutionInfo?.parentExecution?.workflowId ?? (await childParentFromHistory(client, `${p1}-child`)), p1);

        const p2 = id('pfail');
        assert.equal(await client.workflow.execute('parentOfFailingChild', { taskQueue, workflowId: p2 }), 'child failed: child boom');
        assert.ok((await eventTypes(client, p2)).includes(ET.childFailed));

        const p3 = id('pcancel');
        assert.equal(await client.workflow.execute('parentCancelsChild', { taskQueue, workflowId: p3 }), 'child cancelled');
        assert.ok((await eventTypes(client, p3)).includes(ET.childCanceled));
        assert.equal((await client.workflow.getHandle(`${p3}-child`).describe()).status.name, 'CANCELLED');

        const p4 = id('psignal');
        assert.equal(await client.workflow.execute('parentSignalsChild', { taskQueue, workflowId: p4 }), 10);
        assert.ok((await eventTypes(client, p4)).filter((t) => t === ET.signaled).length === 3);

        const p5 = id('pcan');
        assert.equal(await client.workflow.execute('parentOfContinuingChild', { taskQueue, workflowId: p5 }), 'child chain done on run later');

        const existing = id('existing');
        await client.workflow.start('waitsForever', { taskQueue, workflowId: existing });
        assert.equal(await client.workflow.execute('parentOfDuplicateChild', { taskQueue, workflowId: id('pdup'), args: [existing] }), 'already started');
        await client.workflow.getHandle(existing).terminate();
      });
    });

    async function childParentFromHistory(client: Client, workflowId: string): Promise<string | undefined> {
      const first = (await client.workflow.getHandle(workflowId).fetchHistory()).events![0]!;
      return first.workflowExecutionStartedEventAttributes?.parentWorkflowExecution?.workflowId ?? undefined;
    }

    test('a child terminated from outside, and a child that times out: the parent learns which', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const p = id('pterm');
        const h = await client.workflow.start('parentOfDoomedChild', { taskQueue, workflowId: p, args: ['terminate'] });
        await waitForStatus(client, `${p}-child`, 'RUNNING');
        await client.workflow.getHandle(`${p}-child`).terminate('from outside');
        assert.equal(await h.result(), 'child terminated');
        assert.ok((await eventTypes(client, p)).includes(36)); // ChildWorkflowExecutionTerminated
        const t = id('ptimeout');
        assert.equal(await client.workflow.execute('parentOfDoomedChild', { taskQueue, workflowId: t, args: ['timeout'] }), 'child timed out');
        assert.ok((await eventTypes(client, t)).includes(35)); // ChildWorkflowExecutionTimedOut
      });
    });

    test('parent close policies: TERMINATE, REQUEST_CANCEL, ABANDON', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const ids = { TERMINATE: id('c-term'), REQUEST_CANCEL: id('c-cancel'), ABANDON: id('c-abandon') } as const;
        for (const policy of ['TERMINATE', 'REQUEST_CANCEL', 'ABANDON'] as const) {
          assert.equal(
            await client.workflow.execute('parentWithPolicy', { taskQueue, workflowId: id(`p-${policy}`), args: [policy, ids[policy]] }),
            'parent done',
          );
        }
        await waitForStatus(client, ids.TERMINATE, 'TERMINATED');
        await waitForStatus(client, ids.REQUEST_CANCEL, 'CANCELLED');
        await new Promise((r) => setTimeout(r, 500));
        assert.equal((await client.workflow.getHandle(ids.ABANDON).describe()).status.name, 'RUNNING');
        await client.workflow.getHandle(ids.ABANDON).terminate();
      });
    });

    test('SignalExternalWorkflowExecution and RequestCancelExternalWorkflowExecution, to existing and missing workflows', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const target = await client.workflow.start('accumulator', { taskQueue, workflowId: id('target') });
        const s = id('signaller');
        assert.equal(await client.workflow.execute('signalsExternal', { taskQueue, workflowId: s, args: [target.workflowId] }), 'signalled');
        assert.equal(await target.result(), 3);
        const st = await eventTypes(client, s);
        assert.equal(st.filter((t) => t === ET.signalInitiated).length, 2);
        assert.equal(st.filter((t) => t === ET.signaled).length, 2);

        const m = id('sig-missing');
        assert.match(await client.workflow.execute('signalsMissing', { taskQueue, workflowId: m, args: [id('nobody')] }), /^failed: /);
        assert.ok((await eventTypes(client, m)).includes(ET.signalFailed));

        const victim = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('victim') });
        const c = id('canceller');
        assert.equal(await client.workflow.execute('cancelsExternal', { taskQueue, workflowId: c, args: [victim.workflowId] }), 'cancel requested');
        await waitForStatus(client, victim.workflowId, 'CANCELLED');
        assert.ok((await eventTypes(client, c)).includes(ET.cancelRequested));

        const cm = id('cancel-missing');
        assert.match(await client.workflow.execute('cancelsExternal', { taskQueue, workflowId: cm, args: [id('nobody')] }), /^failed: /);
        assert.ok((await eventTypes(client, cm)).includes(ET.cancelFailed));
      });
    });

    test('a crash between the child (or signal target) write and the parent write neither loses nor duplicates', { skip }, async () => {
      const { transferFaults } = await import('../../src/history/queues/transfer-handlers.js');
      const failed = new Set<string>();
      // every kind fails once right after its first write, like a process dying there; the task runs again
      transferFaults.betweenWrites = (kind) => {
        if (failed.has(kind)) return;
        failed.add(kind);
        throw new Error(`injected crash after ${kind}`);
      };
      try {
        await withWorker(plugin, async ({ client, taskQueue }) => {
          const p = id('crash-parent');
          assert.equal(await client.workflow.execute('parentOfChild', { taskQueue, workflowId: p, args: ['bo'] }), 'child says hi to bo');
          assert.ok(failed.has('start-child'));
          const types = await eventTypes(client, p);
          assert.equal(types.filter((t) => t === ET.childStarted).length, 1);
          assert.equal(types.filter((t) => t === ET.childCompleted).length, 1);
          // one child run only: its history starts the chain and was created by the parent's request
          const child = (await client.workflow.getHandle(`${p}-child`).fetchHistory()).events!;
          const started = child[0]!.workflowExecutionStartedEventAttributes!;
          assert.equal(started.firstExecutionRunId, started.originalExecutionRunId);
          const parentStarted = (await client.workflow.getHandle(p).fetchHistory()).events!.find((e) => Number(e.eventType) === ET.childStarted)!;
          assert.equal(parentStarted.childWorkflowExecutionStartedEventAttributes!.workflowExecution!.runId, started.originalExecutionRunId);

          // the signal is delivered once even though its task ran twice
          const target = await client.workflow.start('accumulator', { taskQueue, workflowId: id('crash-target') });
          assert.equal(
            await client.workflow.execute('signalsExternal', { taskQueue, workflowId: id('crash-signaller'), args: [target.workflowId] }),
            'signalled',
          );
          assert.ok(failed.has('signal'));
          assert.equal(await target.result(), 3);
          const signals = (await target.fetchHistory()).events!.filter((e) => Number(e.eventType) === 26); // WORKFLOW_EXECUTION_SIGNALED
          assert.equal(signals.length, 2, 'add and done, each once');
        });
      } finally {
        transferFaults.betweenWrites = undefined;
      }
    });
  });
}
