/**
 * The frontend's request chain, as the security work plugs into it: interceptors run around every
 * call of both services (served or not), in order, before the request is validated; each sees the
 * method, the request's namespace, the client's deadline, its metadata and a signal; one may set
 * the caller for the next, or refuse the call with a ServiceError, which the client gets as its
 * gRPC status. Driven with the official client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { FailedPreconditionError } from '../../src/common/errors';
import type { Interceptor, RequestContext } from '../../src/frontend';
import type { RunningTemporalServer } from '../../src/server/server';
import { startServer, tempDbFile } from '../engine/harness';

type GrpcErr = { code?: number; details?: string };

describe('interceptors', () => {
  const db = tempDbFile();
  let server: RunningTemporalServer;
  let conn: Connection;
  const seen: { ctx: RequestContext; callerSeenBySecond: string | undefined; signalAborted: boolean }[] = [];
  const order: string[] = [];

  // first: establishes who calls (as an authenticator would), refuses a caller named "mallory"
  // (GetSystemInfo, which every client calls to connect, is open to all, as in Temporal's authorizer)
  const authenticate: Interceptor = async (ctx, _request, next) => {
    order.push(`authenticate ${ctx.method}`);
    const who = ctx.metadata.get('x-test-caller')[0];
    if (who === 'mallory' && ctx.method !== 'GetSystemInfo') throw new FailedPreconditionError(`refused by the test interceptor: ${ctx.service}.${ctx.method}`);
    if (typeof who === 'string') ctx.caller = { subject: who, claims: { via: 'metadata' } };
    const res = await next();
    order.push(`authenticate done ${ctx.method}`);
    return res;
  };
  // second: records what it was given
  const record: Interceptor = async (ctx, _request, next) => {
    order.push(`record ${ctx.method}`);
    seen.push({ ctx, callerSeenBySecond: ctx.caller?.subject, signalAborted: ctx.signal.aborted });
    return next();
  };

  before(async () => {
    server = await startServer(db.file, { interceptors: [authenticate, record] });
    conn = await Connection.connect({ address: `127.0.0.1:${server.port}`, metadata: { 'x-test-caller': 'alice' } });
  });
  after(async () => {
    await conn?.close();
    await server?.stop();
    db.cleanup();
  });

  test('each call passes every interceptor in order, with its method, namespace, deadline and metadata', async () => {
    seen.length = 0;
    order.length = 0;
    const deadline = Date.now() + 30_000;
    await conn.withDeadline(deadline, () => conn.workflowService.describeNamespace({ namespace: 'default' }));
    assert.deepEqual(order, ['authenticate DescribeNamespace', 'record DescribeNamespace', 'authenticate done DescribeNamespace']);
    const { ctx, callerSeenBySecond, signalAborted } = seen[0]!;
    assert.equal(ctx.service, 'WorkflowService');
    assert.equal(ctx.method, 'DescribeNamespace');
    assert.equal(ctx.namespace, 'default');
    assert.ok(ctx.deadlineMs !== undefined && Math.abs(ctx.deadlineMs - deadline) < 1000, `deadline ${ctx.deadlineMs} vs ${deadline}`);
    assert.deepEqual(ctx.metadata.get('x-test-caller'), ['alice']);
    assert.equal(callerSeenBySecond, 'alice', 'the caller set by the first interceptor reaches the next');
    assert.equal(signalAborted, false);
    assert.match(ctx.peer, /127\.0\.0\.1/);
    assert.equal(ctx.authContext().transportSecurityType, undefined, 'an insecure connection has no TLS context');
  });

  test('interceptors run before validation, for unimplemented methods and for OperatorService too', async () => {
    seen.length = 0;
    // an invalid request still passes the interceptors first (then fails validation)
    await assert.rejects(conn.workflowService.startWorkflowExecution({ namespace: 'default' }), (e: GrpcErr) => e.code === 3);
    await assert.rejects(conn.workflowService.listDeployments({ namespace: 'default' }), (e: GrpcErr) => e.code === 12);
    await assert.rejects(conn.operatorService.listSearchAttributes({ namespace: 'default' }), (e: GrpcErr) => e.code === 9); // no visibility store
    assert.deepEqual(
      seen.map((s) => `${s.ctx.service}.${s.ctx.method}`),
      ['WorkflowService.StartWorkflowExecution', 'WorkflowService.ListDeployments', 'OperatorService.ListSearchAttributes'],
    );
  });

  test('an interceptor refuses a call with its own status; nothing after it runs', async () => {
    const mallory = await Connection.connect({ address: `127.0.0.1:${server.port}`, metadata: { 'x-test-caller': 'mallory' } });
    try {
      seen.length = 0;
      await assert.rejects(
        mallory.workflowService.startWorkflowExecution({ namespace: 'default', workflowId: 'w', workflowType: { name: 'T' }, taskQueue: { name: 'q' } }),
        (e: GrpcErr) => e.code === 9 && e.details === 'refused by the test interceptor: WorkflowService.StartWorkflowExecution',
      );
      assert.equal(seen.length, 0, 'the second interceptor did not run');
      await assert.rejects(
        mallory.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'w' } }),
        (e: GrpcErr) => e.code === 9,
      );
    } finally {
      await mallory.close();
    }
    // the refused start wrote nothing
    await assert.rejects(
      conn.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'w' } }),
      (e: GrpcErr) => e.code === 5,
    );
  });
});
