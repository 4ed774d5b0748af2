import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startTemporalServer } from '../../src/server/server';
import { makeVisibilityDb } from '../visibility/harness';
import { createTestDb, runWorkerUntil } from './harness';
import { ENGINES, engineAvailability, type Engine } from '../helpers/databases';

const id = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
type GrpcErr = { code?: number; details?: string };
/** a Duration of `seconds` (the typings want Long; protobufjs takes numbers) */
const dur = (seconds: number) => ({ seconds }) as never;

async function withServer<T>(plugin: Engine, fn: (conn: Connection, port: number) => Promise<T>): Promise<T> {
  const db = await createTestDb(plugin, 'ns');
  const vis = await makeVisibilityDb(plugin);
  const server = await startTemporalServer({
    persistence: db.config,
    visibility: vis.config,
    port: 0,
    logLevel: process.env.TTS_LOG_LEVEL ?? 'warn',
    longPollTimeoutMs: 3000,
    minNamespaceRetentionMs: 1000,
  });
  const conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  try {
    return await fn(conn, server.port);
  } finally {
    await conn.close();
    await server.stop();
    await db.drop();
    await vis.cleanup();
  }
}

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);

    test('namespaces: register, describe, list, update, deprecate, errors', { skip }, async () => {
      await withServer(plugin, async (conn) => {
        const svc = conn.workflowService;
        const name = id('ns');
        await svc.registerNamespace({
          namespace: name,
          description: 'orders team',
          ownerEmail: 'orders@example.com',
          workflowExecutionRetentionPeriod: dur(7 * 86400),
          data: { tier: 'gold' },
        });
        const d = await svc.describeNamespace({ namespace: name });
        assert.equal(d.namespaceInfo?.name, name);
        assert.equal(d.namespaceInfo?.description, 'orders team');
        assert.equal(d.namespaceInfo?.ownerEmail, 'orders@example.com');
        assert.equal(d.namespaceInfo?.data?.tier, 'gold');
        assert.equal(Number(d.namespaceInfo?.state), 1); // REGISTERED
        assert.equal(Number(d.config?.workflowExecutionRetentionTtl?.seconds), 7 * 86400);
        assert.ok(d.namespaceInfo?.id);
        // by id
        assert.equal((await svc.describeNamespace({ id: d.namespaceInfo!.id! })).namespaceInfo?.name, name);

        const listed = await svc.listNamespaces({});
        const names = listed.namespaces!.map((n) => n.namespaceInfo?.name);
        assert.ok(names.includes('default') && names.includes(name), String(names));
        // paging
        const page1 = await svc.listNamespaces({ pageSize: 1 });
        assert.equal(page1.namespaces!.length, 1);
        const page2 = await svc.listNamespaces({ pageSize: 1, nextPageToken: page1.nextPageToken });
        assert.equal(page2.namespaces!.length, 1);
        assert.notEqual(page2.namespaces![0]!.namespaceInfo?.name, page1.namespaces![0]!.namespaceInfo?.name);

        const u = (await svc.updateNamespace({
          namespace: name,
          updateInfo: { description: 'orders and billing', ownerEmail: 'billing@example.com' },
          config: { workflowExecutionRetentionTtl: dur(2 * 86400) },
        })) as { namespaceInfo?: { description?: string } };
        assert.equal(u.namespaceInfo?.description, 'orders and billing');
        const d2 = await svc.describeNamespace({ namespace: name });
        assert.equal(d2.namespaceInfo?.ownerEmail, 'billing@example.com');
        assert.equal(Number(d2.config?.workflowExecutionRetentionTtl?.seconds), 2 * 86400);
        assert.equal(d2.namespaceInfo?.data?.tier, 'gold');

        // errors
        await assert.rejects(svc.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: dur(86400) }), (e: GrpcErr) => e.code === 6);
        await assert.rejects(
          svc.registerNamespace({ namespace: id('short'), workflowExecutionRetentionPeriod: { nanos: 500_000_000 } }),
          (e: GrpcErr) => e.code === 3 && /workflowExecutionRetentionPeriod/.test(e.details ?? ''),
        );
        await assert.rejects(
          svc.registerNamespace({ namespace: 'bad name!', workflowExecutionRetentionPeriod: dur(86400) }),
          (e: GrpcErr) => e.code === 3 && /namespace/.test(e.details ?? ''),
        );
        await assert.rejects(svc.registerNamespace({ namespace: '' }), (e: GrpcErr) => e.code === 3 && /namespace/.test(e.details ?? ''));
        await assert.rejects(svc.updateNamespace({ namespace: id('missing'), updateInfo: { description: 'x' } }), (e: GrpcErr) => e.code === 5);
        await assert.rejects(svc.describeNamespace({ namespace: id('missing') }), (e: GrpcErr) => e.code === 5);
        await assert.rejects(
          svc.updateNamespace({ namespace: name, config: { workflowExecutionRetentionTtl: { nanos: 1 } } }),
          (e: GrpcErr) => e.code === 3 && /Retention/i.test(e.details ?? ''),
        );

        // deprecate: described as DEPRECATED, refuses new workflows
        await svc.deprecateNamespace({ namespace: name });
        assert.equal(Number((await svc.describeNamespace({ namespace: name })).namespaceInfo?.state), 2); // DEPRECATED
        const client = new Client({ connection: conn, namespace: name });
        await assert.rejects(client.workflow.start('greet', { taskQueue: 'tq', workflowId: id('w'), args: ['x'] }), (e: Error & { cause?: GrpcErr }) =>
          /deprecated/.test(`${e.message} ${e.cause?.details ?? ''}`),
        );
      });
    });

    test('retention deletes a closed run (execution, history, current row) after the period', { skip }, async () => {
      await withServer(plugin, async (conn, port) => {
        const svc = conn.workflowService;
        await svc.updateNamespace({ namespace: 'default', config: { workflowExecutionRetentionTtl: dur(2) } });
        const client = new Client({ connection: conn, namespace: 'default' });
        const taskQueue = id('tq');
        const workflowId = id('ret');
        const result = await runWorkerUntil(port, taskQueue, client.workflow.execute('greet', { taskQueue, workflowId, args: ['soon gone'] }));
        assert.equal(result, 'hello soon gone');
        // kept during the retention period (and listed)
        assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'COMPLETED');
        const listed = async () => (await svc.listWorkflowExecutions({ namespace: 'default', query: `WorkflowId = '${workflowId}'` })).executions!.length;
        for (let i = 0; i < 40 && (await listed()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
        assert.equal(await listed(), 1);
        assert.ok((await client.workflow.getHandle(workflowId).fetchHistory()).events!.length > 0);
        // and gone after it
        const deadline = Date.now() + 10_000;
        for (;;) {
          const gone = await client.workflow
            .getHandle(workflowId)
            .describe()
            .then(
              () => false,
              (e: Error) => /not found/i.test(e.message) || e.name === 'WorkflowNotFoundError',
            );
          if (gone) break;
          assert.ok(Date.now() < deadline, 'the closed run was not deleted within 10 s');
          await new Promise((r) => setTimeout(r, 250));
        }
        await assert.rejects(svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } }), (e: GrpcErr) => e.code === 5);
        assert.equal(await listed(), 0, 'the visibility record is deleted too');
        // the workflow id is free again (no current row)
        const again = await client.workflow.start('greet', { taskQueue, workflowId, args: ['again'], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
        assert.equal(await runWorkerUntil(port, taskQueue, again.result()), 'hello again');
      });
    });
  });
}
