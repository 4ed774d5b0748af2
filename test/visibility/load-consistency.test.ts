/**
 * Visibility agrees with the execution store after load, on every plugin (default and visibility
 * store on the same engine): a few hundred workflows (with activities, so the history commits while
 * the visibility queue is busy) run to completion through the official SDK, then every run's status
 * in ListWorkflowExecutions equals its status in DescribeWorkflowExecution (mutable state), and no
 * run is missing. It guards the race that left closed runs "Running" on PostgreSQL: a visibility task
 * read the previous mutable state from the cache while its commit was still being acknowledged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { RunningTemporalServer } from '../../src/server/server';
import { createTestDb, ENGINES, engineAvailability, newTaskQueue, runWorkerUntil, sleep, startServer, type TestDb } from '../engine/harness';
import { makeVisibilityDb, type VisibilityDb } from './harness';

const RUNS = 300;
const statusName = (s: unknown) => String(s);

for (const plugin of ENGINES) {
  describe(`visibility after load: ${plugin}`, async () => {
    const skip = await engineAvailability(plugin);
    let db: TestDb | undefined;
    let vis: VisibilityDb | undefined;
    let server: RunningTemporalServer | undefined;
    let conn: Connection | undefined;
    before(async () => {
      if (skip) return;
      db = await createTestDb(plugin, 'visload');
      vis = await makeVisibilityDb(plugin);
      server = await startServer(db, { visibility: vis.config });
      conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    });
    after(async () => {
      await conn?.close();
      await server?.stop();
      await db?.drop();
      await vis?.cleanup();
    });

    test(`${RUNS} workflows: every run's visibility status equals the execution store's`, { skip, timeout: 300_000 }, async () => {
      const client = new Client({ connection: conn!, namespace: 'default' });
      const taskQueue = newTaskQueue('visload');
      const ids = Array.from({ length: RUNS }, (_, i) => `visload-${i}`);
      await runWorkerUntil(
        server!.port,
        taskQueue,
        async () => {
          const handles = [];
          for (let i = 0; i < ids.length; i += 50) {
            handles.push(
              ...(await Promise.all(
                ids
                  .slice(i, i + 50)
                  .map((workflowId, j) => client.workflow.start(j % 3 === 0 ? 'greet' : 'greetViaActivity', { taskQueue, workflowId, args: [workflowId] })),
              )),
            );
          }
          await Promise.all(handles.map((h) => h.result()));
        },
        { maxConcurrentWorkflowTaskExecutions: 20, maxConcurrentActivityTaskExecutions: 20 },
      );
      // the visibility queue catches up shortly after the last close
      const svc = client.workflowService;
      const deadline = Date.now() + 30_000;
      let running = -1;
      while (Date.now() < deadline) {
        running = Number((await svc.countWorkflowExecutions({ namespace: 'default', query: 'ExecutionStatus = "Running"' })).count);
        const all = Number((await svc.countWorkflowExecutions({ namespace: 'default' })).count);
        if (running === 0 && all === RUNS) break;
        await sleep(250);
      }
      // every row, compared with the execution store
      const listed = new Map<string, string>();
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await svc.listWorkflowExecutions({ namespace: 'default', pageSize: 100, nextPageToken });
        for (const e of page.executions ?? []) listed.set(e.execution!.workflowId!, statusName(e.status));
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (nextPageToken);
      const mismatches: string[] = [];
      for (const workflowId of ids) {
        const d = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
        const stored = statusName(d.workflowExecutionInfo?.status);
        if (listed.get(workflowId) !== stored) mismatches.push(`${workflowId}: visibility ${listed.get(workflowId) ?? 'missing'}, execution store ${stored}`);
      }
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${RUNS} runs disagree (Running in visibility: ${running})`);
      assert.equal(listed.size, RUNS);
    });
  });
}
