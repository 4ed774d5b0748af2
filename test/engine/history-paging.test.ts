/**
 * GetWorkflowExecutionHistory paging read from the batch holding a page's first event (the token
 * carries its id): pages join without gaps or repeats whatever their size, a page that ends the
 * history carries no token, a long poll from the end of a running workflow's history answers the
 * next events when they are written, and the close-event filter answers the close event alone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, sharedWorker, sleep, uid as id, type Env } from './harness';

const ET = temporal.api.enums.v1.EventType;

async function readAll(env: Env, workflowId: string, pageSize: number): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let token: Uint8Array | undefined;
  let pages = 0;
  do {
    const page = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      maximumPageSize: pageSize,
      nextPageToken: token,
    });
    ids.push(...page.history!.events!.map((e) => Number(e.eventId)));
    token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    pages++;
  } while (token);
  return { ids, pages };
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);
    const env = sharedWorker(plugin, { skip });

    test('pages of every size join into the whole history; a page that ends it has no token', { skip }, async () => {
      const e = env();
      const wid = id('pages');
      // many batches of one event each (signals) and a few of several
      const h = await e.client.workflow.start('accumulator', { taskQueue: e.taskQueue, workflowId: wid });
      for (let i = 1; i <= 20; i++) await h.signal('add', i);
      await h.signal('done');
      await h.result();
      const n = (await h.fetchHistory()).events!.length;
      const whole = Array.from({ length: n }, (_, i) => i + 1);
      for (const size of [1, 2, 7, n - 1, n, n + 5]) {
        const { ids, pages } = await readAll(e, wid, size);
        assert.deepEqual(ids, whole, `page size ${size}`);
        assert.equal(pages, Math.ceil(n / size), `pages of ${size}`);
      }
      const close = await e.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: wid },
        historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      });
      assert.deepEqual(
        close.history!.events!.map((ev) => [Number(ev.eventId), ev.eventType]),
        [[n, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]],
      );
    });

    test('long poll from the end of a running history answers the next events once they are written', { skip }, async () => {
      const e = env();
      const wid = id('lp-all');
      const h = await e.client.workflow.start('waitsForever', { taskQueue: e.taskQueue, workflowId: wid });
      const svc = e.client.workflowService;
      // wait for the first workflow task to complete
      let first = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: wid } });
      for (let i = 0; i < 100 && !first.history!.events!.some((ev) => ev.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED); i++) {
        await sleep(100);
        first = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: wid } });
      }
      const seen = first.history!.events!.length;
      const atEnd = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: wid }, waitNewEvent: true });
      assert.equal(atEnd.history!.events!.length, seen);
      assert.ok(atEnd.nextPageToken?.length, 'a running workflow: a token to wait on');
      const poll = svc.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: wid },
        waitNewEvent: true,
        nextPageToken: atEnd.nextPageToken,
      });
      await sleep(300);
      await h.signal('never-handled');
      const next = await poll;
      const events = next.history!.events!;
      assert.ok(events.length >= 1);
      assert.equal(Number(events[0]!.eventId), seen + 1, 'continues where the last page ended');
      assert.equal(events[0]!.eventType, ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
      await h.terminate();
    });
  });
}
