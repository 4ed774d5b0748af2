/**
 * The operator calls of issue 14 in a cluster: two server processes (`server start --config`) on one
 * PostgreSQL database, their shards and task queues split between them. Every call goes to A's
 * frontend, which routes it to the owner: reset, reverse history, activity completion by id, pause /
 * unpause, delete on workflows whose shards B owns as well as A's, and DescribeTaskQueue answered by
 * the queue's owner (which served the worker's polls) through either frontend.
 *
 * Each workflow's signal is awaited in a completed workflow task: the task after the first, or the
 * first itself when the signal arrived before a worker started it (the signal then joins that task).
 * 16 shards: 8 per member (bounded loads, ring.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { ClusterDescription } from '../../src/server/cluster/describe';
import { ServerProcess } from '../crash/server-process';
import { runWorkerUntil } from '../engine/harness';
import { dropDatabase, engineAvailability, uniqueDbName } from '../helpers/databases';
import { freePort, runCli, TEMPORAL_TS } from '../helpers/processes';
import { prepareStore, writeServerConfig } from '../helpers/server-config';

const ET = temporal.api.enums.v1.EventType;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(250);
  }
}

describe('operations in a cluster (PostgreSQL, two processes)', async () => {
  const skip = await engineAvailability('postgres12');
  test('reset, reverse history, activities by id, pause, delete and DescribeTaskQueue route to the owner', { skip, timeout: 300_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cluster-ops-'));
    const dbs = { temporal: uniqueDbName('clops'), visibility: uniqueDbName('clops_vis') };
    const servers: ServerProcess[] = [];
    const conns: Connection[] = [];
    try {
      prepareStore('postgres12', dbs.temporal, 'temporal');
      prepareStore('postgres12', dbs.visibility, 'visibility');
      const ports: number[] = [];
      const configs: string[] = [];
      for (const name of ['A', 'B']) {
        const port = await freePort();
        ports.push(port);
        const config = writeServerConfig(tmp, name, 'postgres12', dbs, port, {
          numHistoryShards: 16,
          logLevel: process.env.CLUSTER_LOG_LEVEL ?? 'warn', // info: membership and shard moves
          rolePorts: { history: await freePort(), matching: await freePort() },
          extra: 'ui:\n  enabled: false\n',
        });
        configs.push(config);
        servers.push(new ServerProcess(config));
      }
      await servers[0]!.start(60_000);
      await servers[1]!.start(60_000);
      await until('both members hold shards', async () => {
        const r = runCli(TEMPORAL_TS, ['admin', 'cluster', 'describe', '--config', configs[0]!, '-o', 'json']);
        const d = JSON.parse(r.stdout) as ClusterDescription;
        return d.members.filter((m) => m.state === 'alive' && m.shards.length > 0).length === 2 ? true : undefined;
      });
      const [a, b] = [await Connection.connect({ address: `127.0.0.1:${ports[0]}` }), await Connection.connect({ address: `127.0.0.1:${ports[1]}` })];
      conns.push(a, b);
      const client = new Client({ connection: a, namespace: 'default' });
      const taskQueue = `clops-${process.pid}`;
      const unpolled = `clops-unpolled-${process.pid}`;
      await runWorkerUntil(ports[0]!, taskQueue, async () => {
        // eight workflows: their shards are spread over A and B
        for (let i = 0; i < 8; i++) {
          const workflowId = `clops-${i}-${randomUUID()}`;
          const h = await client.workflow.start('signalCollector', { workflowId, taskQueue });
          await h.signal('add', `x${i}`);
          // the signal is in a completed workflow task: a second task when it came after the first
          // task started, else the first task itself (a signal arriving while a task is scheduled and
          // not yet started joins that task: no new one is scheduled, as in Temporal)
          const completed = await until(`the signal of ${workflowId} in a completed workflow task`, async () => {
            const hist = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
            const events = hist.history?.events ?? [];
            const signaled = events.find((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
            const ids = events.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map((e) => Number(e.eventId));
            return signaled && ids.some((id) => id > Number(signaled.eventId)) ? ids : undefined;
          });
          const reset = await client.workflowService.resetWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId },
            reason: 'cluster',
            workflowTaskFinishEventId: completed[0]! as never,
            requestId: randomUUID(),
          });
          const reverse = await client.workflowService.getWorkflowExecutionHistoryReverse({
            namespace: 'default',
            execution: { workflowId, runId: reset.runId },
          });
          const ids = (reverse.history?.events ?? []).map((e) => Number(e.eventId));
          assert.deepEqual(
            ids,
            [...ids].sort((x, y) => y - x),
            'newest first',
          );
          assert.equal(ids[ids.length - 1], 1);
          const nh = client.workflow.getHandle(workflowId, reset.runId!);
          await nh.signal('done');
          assert.equal(await nh.result(), `x${i}`);
          await client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
          await assert.rejects(nh.describe(), (e: Error) => e.name === 'WorkflowNotFoundError');
        }
        // activities by id and pause on a workflow whose activity nobody polls
        const h = await client.workflow.start('externallyCompleted', { workflowId: `clops-act-${randomUUID()}`, taskQueue, args: [unpolled] });
        await until('activity scheduled', async () => ((await h.describe()).raw.pendingActivities?.length === 1 ? true : undefined));
        await client.workflowService.pauseActivity({ namespace: 'default', execution: { workflowId: h.workflowId }, id: '1' });
        assert.equal((await h.describe()).raw.pendingActivities?.[0]?.paused, true);
        await client.workflowService.unpauseActivity({ namespace: 'default', execution: { workflowId: h.workflowId }, id: '1' });
        await client.workflowService.respondActivityTaskCompletedById({
          namespace: 'default',
          workflowId: h.workflowId,
          activityId: '1',
          result: { payloads: [defaultPayloadConverter.toPayload('by id')] },
        });
        assert.equal(await h.result(), 'by id');
        // the worker's queue: its pollers are known to the queue's owner, asked through either frontend
        for (const conn of [a, b]) {
          const d = await conn.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 });
          assert.ok((d.pollers ?? []).length > 0, 'pollers seen through both frontends');
        }
        const backlog = await b.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: unpolled }, taskQueueType: 2, reportStats: true });
        assert.deepEqual(backlog.pollers, []);
      });
    } finally {
      await Promise.all(conns.map((c) => c.close()));
      for (const s of servers) await s.stop();
      await dropDatabase('postgres12', dbs.temporal).catch(() => undefined);
      await dropDatabase('postgres12', dbs.visibility).catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
