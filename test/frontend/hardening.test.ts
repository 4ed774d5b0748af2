/**
 * Limits before work and the same answer on every plugin (issue 13): ids and names over what every
 * plugin's columns hold (255), NUL and invalid UTF-8 in strings, durations beyond int64 nanoseconds
 * and negative ones, timestamps outside 0001..9999, messages over the 4 MiB receive limit, oversized
 * metadata: all refused with the right status naming the field, on sqlite, postgres12 and mysql8,
 * never INTERNAL. The largest accepted values are stored and listed on every plugin. Long polls
 * answer (empty) before the client's deadline. Listing and display survive a time no Date can hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as GrpcClient, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ENGINES, engineAvailability, uniqueDbName, dropDatabase } from '../helpers/databases';
import { connectConfig, prepareStore } from '../helpers/server-config';
import { createTestDb, type TestDb } from '../engine/harness';
import { startTemporalServer, type RunningTemporalServer } from '../../src/server/server';
import { timestampText } from '../../src/cli/proto-json';
import { toJson } from '../../src/ui/server/proto-json';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WS = temporal.api.workflowservice.v1;
type GrpcErr = { code?: number; details?: string };
const status = (code: number, re: RegExp) => (err: GrpcErr) => {
  assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.details}`);
  assert.match(err.details ?? '', re);
  return true;
};
const invalid = (re: RegExp) => status(3, re);
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

/** A second gRPC client that sends bytes as they are (for invalid UTF-8, which no SDK encodes). */
function rawCall(port: number, method: string, bytes: Buffer, metadata = new Metadata()): Promise<Buffer> {
  const c = new GrpcClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) =>
    c.makeUnaryRequest(
      `/temporal.api.workflowservice.v1.WorkflowService/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      metadata,
      (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!)),
    ),
  ).finally(() => c.close());
}

/** A start request whose workflowId bytes are replaced by `idBytes` (same length: the message stays well-formed). */
function startBytesWithId(taskQueue: string, idBytes: Buffer): Buffer {
  const marker = 'M'.repeat(idBytes.length);
  const b = Buffer.from(
    WS.StartWorkflowExecutionRequest.encode({ namespace: 'default', workflowId: marker, workflowType: { name: 'w' }, taskQueue: { name: taskQueue } }).finish(),
  );
  const at = b.indexOf(marker);
  idBytes.copy(b, at);
  return b;
}

for (const engine of ENGINES) {
  describe(`frontend hardening on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    let db: TestDb;
    let visDb: string;
    let visDir: string | undefined;
    let server: RunningTemporalServer;
    let conn: Connection;
    const tq = uid('hard-tq');

    before(async () => {
      if (skip) return;
      db = await createTestDb(engine, 'hard');
      if (engine === 'sqlite') {
        visDir = mkdtempSync(join(tmpdir(), 'tts-hard-vis-'));
        visDb = join(visDir, 'visibility.db');
      } else visDb = uniqueDbName('hardvis');
      prepareStore(engine, visDb, 'visibility');
      server = await startTemporalServer({
        persistence: db.config,
        visibility: connectConfig(engine, visDb),
        port: 0,
        logLevel: 'error',
        longPollTimeoutMs: 30_000,
      });
      conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    });

    after(async () => {
      if (skip) return;
      await conn?.close();
      await server?.stop();
      await db?.drop();
      if (visDir) rmSync(visDir, { recursive: true, force: true });
      else if (visDb) await dropDatabase(engine, visDb);
    });

    const start = (o: Partial<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest>) =>
      conn.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId: uid('hard'),
        workflowType: { name: 'w' },
        taskQueue: { name: tq },
        requestId: uid('req'),
        ...o,
      });

    test('ids and names: 255 characters are stored and found on every plugin, 256 are INVALID_ARGUMENT naming the field', { skip }, async () => {
      const id255 = `${'é'.repeat(100)}${'x'.repeat(155)}`;
      assert.equal(id255.length, 255);
      const type255 = 't'.repeat(255);
      const tq255 = `q${'y'.repeat(254)}`;
      const r = await start({ workflowId: id255, workflowType: { name: type255 }, taskQueue: { name: tq255 } });
      const d = await conn.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: id255, runId: r.runId } });
      assert.equal(d.workflowExecutionInfo?.execution?.workflowId, id255);
      assert.equal(d.workflowExecutionInfo?.type?.name, type255);
      for (const [o, field] of [
        [{ workflowId: 'a'.repeat(256) }, 'workflowId'],
        [{ workflowType: { name: 'b'.repeat(256) } }, 'workflowType.name'],
        [{ taskQueue: { name: 'c'.repeat(256) } }, 'taskQueue.name'],
        [{ requestId: 'd'.repeat(256) }, 'requestId'],
      ] as const) {
        await assert.rejects(start(o), invalid(new RegExp(`^${field.replace('.', '\\.')}: exceeds length limit of 255`)), field);
      }
      await assert.rejects(
        conn.workflowService.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: id255 }, signalName: 's'.repeat(256) }),
        invalid(/^signalName: exceeds length limit of 255/),
      );
      await conn.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: id255 } });
    });

    test('NUL and invalid UTF-8 in strings: INVALID_ARGUMENT naming the field, nothing started', { skip }, async () => {
      for (const [o, field] of [
        [{ workflowId: 'a\0b' }, 'workflowId'],
        [{ workflowType: { name: 'w\0' } }, 'workflowType.name'],
        [{ taskQueue: { name: '\0' } }, 'taskQueue.name'],
        [{ identity: 'me\0' }, 'identity'],
        [{ memo: { fields: { 'k\0': { data: Buffer.from('1') } } } }, 'memo.fields[key]'],
      ] as const) {
        await assert.rejects(start(o), invalid(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: must not contain NUL`)), field);
      }
      await assert.rejects(
        conn.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'a\0b' } }),
        invalid(/^execution\.workflowId: must not contain NUL/),
      );
      // bytes that are not UTF-8 (the SDKs cannot send them; a hand-made client can)
      const wid = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
      await assert.rejects(rawCall(server.port, 'StartWorkflowExecution', startBytesWithId(tq, wid)), invalid(/^workflowId: is not valid UTF-8/));
      const lone = Buffer.from([0x61, 0xed, 0xa0, 0x80]); // an encoded UTF-16 surrogate: not UTF-8 either
      await assert.rejects(rawCall(server.port, 'StartWorkflowExecution', startBytesWithId(tq, lone)), invalid(/^workflowId: is not valid UTF-8/));
      // U+FFFD itself is valid UTF-8 and accepted
      const ok = Buffer.from('a\uFFFDb', 'utf8');
      const res = WS.StartWorkflowExecutionResponse.decode(await rawCall(server.port, 'StartWorkflowExecution', startBytesWithId(tq, ok)));
      assert.ok(res.runId);
      await conn.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'a\uFFFDb' } });
    });

    test(
      'durations: negative, malformed or beyond int64 nanoseconds are INVALID_ARGUMENT naming the field; the largest is stored and listed',
      { skip },
      async () => {
        for (const [o, re] of [
          [{ workflowStartDelay: { seconds: 1e15 } }, /^workflowStartDelay: 1000000000000000s is out of range/],
          [{ workflowTaskTimeout: { seconds: 1e12 } }, /^workflowTaskTimeout: 1000000000000s is out of range/],
          [{ workflowExecutionTimeout: { seconds: 2 ** 62 } }, /^workflowExecutionTimeout: .* is out of range/],
          [{ workflowRunTimeout: { seconds: -1 } }, /^workflowRunTimeout: must not be negative/],
          [{ workflowRunTimeout: { seconds: 1, nanos: -5 } }, /^workflowRunTimeout: seconds and nanos have different signs/],
          [{ workflowTaskTimeout: { nanos: 1e9 } }, /^workflowTaskTimeout: nanos 1000000000 is out of range/],
          [{ retryPolicy: { initialInterval: { seconds: 9_223_372_037 } } }, /^retryPolicy\.initialInterval: .* is out of range/],
        ] as const) {
          await assert.rejects(start(o as never), invalid(re), JSON.stringify(o));
        }
        // the largest accepted delay: 9223372036 s (year 2318), stored and listed on every plugin
        const workflowId = uid('far');
        const r = await start({ workflowId, workflowStartDelay: { seconds: 9_223_372_036 as never } });
        const d = await conn.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId, runId: r.runId } });
        const exec = Number(d.workflowExecutionInfo?.executionTime?.seconds ?? 0);
        assert.ok(exec > Date.now() / 1000 + 9e9, `execution time ${exec}`);
        let listed: temporal.api.workflow.v1.IWorkflowExecutionInfo[] = [];
        for (let i = 0; i < 50 && listed.length === 0; i++) {
          listed = (await conn.workflowService.listWorkflowExecutions({ namespace: 'default', query: `WorkflowId = '${workflowId}'` })).executions ?? [];
          if (listed.length === 0) await new Promise((res) => setTimeout(res, 100));
        }
        assert.equal(listed.length, 1);
        assert.match(timestampText(listed[0]!.executionTime), /^23\d\d-/);
        await conn.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
      },
    );

    test('timestamps outside 0001..9999 are INVALID_ARGUMENT naming the field', { skip }, async () => {
      await assert.rejects(
        conn.workflowService.listOpenWorkflowExecutions({ namespace: 'default', startTimeFilter: { earliestTime: { seconds: 1e15 as never } } }),
        invalid(/^startTimeFilter\.earliestTime: seconds 1000000000000000 is out of range/),
      );
    });

    test('a message over the 4 MiB receive limit is RESOURCE_EXHAUSTED before decoding; large metadata is refused; the server stays up', { skip }, async () => {
      const big = { payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(5 * 1024 * 1024, 1) }] };
      // (through a raw client: the SDK's connection retries RESOURCE_EXHAUSTED with backoff)
      const bigBytes = Buffer.from(
        WS.StartWorkflowExecutionRequest.encode({
          namespace: 'default',
          workflowId: uid('big'),
          workflowType: { name: 'w' },
          taskQueue: { name: tq },
          input: big,
        }).finish(),
      );
      await assert.rejects(rawCall(server.port, 'StartWorkflowExecution', bigBytes), status(8, /larger than|exceeds|max/i));
      // 3 MiB: through the transport, refused by the 2 MiB payload limit
      const mid = { payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(3 * 1024 * 1024, 1) }] };
      await assert.rejects(start({ input: mid }), invalid(/^input: .*exceeds the blob size limit of 2 MiB/));
      const md = new Metadata();
      md.set('x-big', 'a'.repeat(100 * 1024));
      await assert.rejects(rawCall(server.port, 'GetSystemInfo', Buffer.alloc(0), md), status(8, /exhausted|exceeded/i));
      // malformed protobuf bytes: INVALID_ARGUMENT, not INTERNAL
      await assert.rejects(rawCall(server.port, 'StartWorkflowExecution', Buffer.from([0x0a, 0xff, 0xff, 0x01])), invalid(/^request: is not a valid/));
      const info = await conn.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion);
    });

    test("long polls answer empty about a second before the client's deadline (not DEADLINE_EXCEEDED)", { skip }, async () => {
      const t0 = Date.now();
      const res = await conn.withDeadline(Date.now() + 3000, () =>
        conn.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: uid('empty-tq') }, identity: 't' }),
      );
      const took = Date.now() - t0;
      assert.ok(!res.taskToken || res.taskToken.length === 0, 'an empty answer');
      assert.ok(took >= 1500 && took < 2900, `answered after ${took} ms`);
      const workflowId = uid('poll');
      await start({ workflowId });
      const req = { namespace: 'default', execution: { workflowId }, waitNewEvent: true };
      const first = await conn.workflowService.getWorkflowExecutionHistory(req);
      assert.ok(first.nextPageToken?.length, 'a running workflow: a token to wait with');
      const t1 = Date.now();
      const page = await conn.withDeadline(Date.now() + 3000, () =>
        conn.workflowService.getWorkflowExecutionHistory({ ...req, nextPageToken: first.nextPageToken }),
      );
      const took1 = Date.now() - t1;
      assert.equal(page.history?.events?.length ?? 0, 0);
      assert.ok(page.nextPageToken?.length, 'the token to poll again with');
      assert.ok(took1 >= 1500 && took1 < 2900, `answered after ${took1} ms`);
      await conn.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
    });
  });
}

test('display survives a stored time no Date can hold (rows from before the range checks)', () => {
  assert.match(timestampText({ seconds: 1e15 }), /out of range/);
  const info = toJson('temporal.api.workflow.v1.WorkflowExecutionInfo', { startTime: { seconds: 1e15 }, executionTime: { seconds: -1e15 } }) as Record<
    string,
    unknown
  >;
  assert.equal(info.startTime, null);
  assert.equal(info.executionTime, null);
});
