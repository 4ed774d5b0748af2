/**
 * Visibility through the official SDK: a real server (default store SQLite, visibility store on each
 * engine), a worker and a client. Operator add/list/remove, typed search attributes at start and by
 * upsert in workflow code, memo, list/count after start and completion, GROUP BY, paging, and the
 * INVALID_ARGUMENT answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status as grpcStatus } from '@grpc/grpc-js';
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { engineAvailability, ENGINES } from '../helpers/databases';
import { eventually, makeVisibilityDb, withVisibilityServer } from './harness';

const IVT = temporal.api.enums.v1.IndexedValueType;
const uid = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const code = (err: unknown) => (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;
const text = (err: unknown) => `${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;

const CustomKw = defineSearchAttributeKey('CustomKw', SearchAttributeType.KEYWORD);
const CustomInt = defineSearchAttributeKey('CustomInt', SearchAttributeType.INT);
const CustomDbl = defineSearchAttributeKey('CustomDbl', SearchAttributeType.DOUBLE);
const CustomBool = defineSearchAttributeKey('CustomBool', SearchAttributeType.BOOL);
const CustomTime = defineSearchAttributeKey('CustomTime', SearchAttributeType.DATETIME);
const CustomText = defineSearchAttributeKey('CustomText', SearchAttributeType.TEXT);
const CustomList = defineSearchAttributeKey('CustomList', SearchAttributeType.KEYWORD_LIST);

for (const engine of ENGINES) {
  describe(`visibility through the SDK: ${engine}`, async () => {
    const skip = await engineAvailability(engine);

    test('operator search attributes, typed attributes, memo, list, count, paging, errors', { skip, timeout: 120_000 }, async () => {
      const db = await makeVisibilityDb(engine);
      try {
        await withVisibilityServer(db.config, async ({ client, connection, taskQueue }) => {
          const op = connection.operatorService;
          // ---- OperatorService
          await op.addSearchAttributes({
            namespace: 'default',
            searchAttributes: {
              CustomKw: IVT.INDEXED_VALUE_TYPE_KEYWORD,
              CustomInt: IVT.INDEXED_VALUE_TYPE_INT,
              CustomDbl: IVT.INDEXED_VALUE_TYPE_DOUBLE,
              CustomBool: IVT.INDEXED_VALUE_TYPE_BOOL,
              CustomTime: IVT.INDEXED_VALUE_TYPE_DATETIME,
              CustomText: IVT.INDEXED_VALUE_TYPE_TEXT,
              CustomList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
            },
          });
          const listed = await op.listSearchAttributes({ namespace: 'default' });
          assert.equal(listed.customAttributes.CustomInt, IVT.INDEXED_VALUE_TYPE_INT);
          assert.equal(listed.storageSchema.CustomInt, 'Int01');
          assert.equal(listed.systemAttributes.WorkflowId, IVT.INDEXED_VALUE_TYPE_KEYWORD);
          await assert.rejects(
            op.addSearchAttributes({ namespace: 'default', searchAttributes: { CustomKw: IVT.INDEXED_VALUE_TYPE_KEYWORD } }),
            (e: unknown) => {
              assert.equal(code(e), grpcStatus.ALREADY_EXISTS);
              assert.match(String(e), /CustomKw already exists/);
              return true;
            },
          );
          await assert.rejects(
            op.addSearchAttributes({ namespace: 'default', searchAttributes: { WorkflowId: IVT.INDEXED_VALUE_TYPE_KEYWORD } }),
            (e: unknown) => code(e) === grpcStatus.INVALID_ARGUMENT && /reserved/.test(String(e)),
          );
          await assert.rejects(
            op.addSearchAttributes({ namespace: 'default', searchAttributes: { Bad: 99 as never } }),
            (e: unknown) => code(e) === grpcStatus.INVALID_ARGUMENT && /unknown type/.test(String(e)),
          );
          await op.addSearchAttributes({ namespace: 'default', searchAttributes: { Int2: IVT.INDEXED_VALUE_TYPE_INT, Int3: IVT.INDEXED_VALUE_TYPE_INT } });
          await assert.rejects(op.addSearchAttributes({ namespace: 'default', searchAttributes: { Int4: IVT.INDEXED_VALUE_TYPE_INT } }), (e: unknown) => {
            assert.equal(code(e), grpcStatus.INVALID_ARGUMENT);
            assert.match(String(e), /all 3 Int columns .* are in use/);
            return true;
          });
          await op.removeSearchAttributes({ namespace: 'default', searchAttributes: ['Int3'] });
          await op.addSearchAttributes({ namespace: 'default', searchAttributes: { Int4: IVT.INDEXED_VALUE_TYPE_INT } });
          await op.removeSearchAttributes({ namespace: 'default', searchAttributes: ['Int2', 'Int4'] });
          await assert.rejects(
            op.removeSearchAttributes({ namespace: 'default', searchAttributes: ['Int2'] }),
            (e: unknown) => code(e) === grpcStatus.NOT_FOUND,
          );
          await assert.rejects(
            op.listNexusEndpoints({}),
            (e: unknown) => code(e) === grpcStatus.UNIMPLEMENTED && /OperatorService.ListNexusEndpoints/.test(String(e)),
          );

          // ---- typed search attributes and memo at start
          const prefix = uid('vis');
          const other = uid('oth');
          const t0 = new Date('2024-03-01T10:00:00.000Z');
          const handles = [];
          for (let i = 0; i < 6; i++) {
            handles.push(
              await client.workflow.start('upserter', {
                taskQueue,
                workflowId: `${prefix}-${i}`,
                args: [{}, {}],
                memo: { idx: i, note: `memo ${i}` },
                typedSearchAttributes: new TypedSearchAttributes([
                  { key: CustomKw, value: i % 2 === 0 ? `even-${i}` : `odd-${i}` },
                  { key: CustomInt, value: i * 100 },
                  { key: CustomDbl, value: i + 0.5 },
                  { key: CustomBool, value: i % 2 === 0 },
                  { key: CustomTime, value: new Date(t0.getTime() + i * 3_600_000) },
                  { key: CustomText, value: i < 3 ? 'hello visible world' : 'goodbye' },
                  { key: CustomList, value: [`tag${i % 3}`, 'every'] },
                ]),
              }),
            );
          }
          const mine = `WorkflowId STARTS_WITH '${prefix}'`;
          await eventually('6 running rows', async () => (await client.workflow.count(`${mine} AND ExecutionStatus = 'Running'`)).count === 6);
          // complete half of them
          for (const h of handles.slice(0, 3)) await h.signal('finish');
          for (const h of handles.slice(0, 3)) await h.result();
          await eventually('3 completed rows', async () => (await client.workflow.count(`${mine} AND ExecutionStatus = 'Completed'`)).count === 3);

          const ids = async (q: string) => {
            const out: string[] = [];
            for await (const w of client.workflow.list({ query: q })) out.push(w.workflowId);
            return out;
          };
          assert.deepEqual(
            (await ids(`${mine} AND CustomInt >= 300`)).sort(),
            [3, 4, 5].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            (await ids(`${mine} AND CustomKw STARTS_WITH 'even'`)).sort(),
            [0, 2, 4].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            (await ids(`${mine} AND CustomBool = false AND CustomDbl > 2`)).sort(),
            [3, 5].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            (await ids(`${mine} AND CustomTime BETWEEN '2024-03-01T11:00:00Z' AND '2024-03-01T12:30:00+00:00'`)).sort(),
            [1, 2].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            (await ids(`${mine} AND CustomText = 'visible'`)).sort(),
            [0, 1, 2].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            (await ids(`${mine} AND CustomList IN ('tag1', 'tag2')`)).sort(),
            [1, 2, 4, 5].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual((await ids(`${mine} AND CustomInt IN (0, 500) AND NOT (CustomKw = 'odd-5')`)).sort(), [`${prefix}-0`]);
          assert.deepEqual(
            await ids(`${mine} ORDER BY CustomInt DESC`),
            [5, 4, 3, 2, 1, 0].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            await ids(`${mine} AND CloseTime IS NOT NULL ORDER BY CustomTime`),
            [0, 1, 2].map((i) => `${prefix}-${i}`),
          );
          // default order: running first (newest start first), then closed
          const def = await ids(mine);
          assert.deepEqual(
            def.slice(0, 3),
            [5, 4, 3].map((i) => `${prefix}-${i}`),
          );
          assert.deepEqual(
            def.slice(3).sort(),
            [0, 1, 2].map((i) => `${prefix}-${i}`),
          );

          // paging with page size 2 through the raw API
          const paged: string[] = [];
          let token: Uint8Array | undefined;
          do {
            const r = await client.workflowService.listWorkflowExecutions({ namespace: 'default', query: mine, pageSize: 2, nextPageToken: token });
            assert.ok(r.executions.length <= 2);
            paged.push(...r.executions.map((e) => e.execution!.workflowId!));
            token = r.nextPageToken && r.nextPageToken.length > 0 ? r.nextPageToken : undefined;
          } while (token);
          assert.deepEqual(paged, def);

          // the row as the SDK sees it: typed attributes, memo, status, times
          let info;
          for await (const w of client.workflow.list({ query: `WorkflowId = '${prefix}-1'` })) info = w;
          assert.ok(info);
          assert.equal(info.status.name, 'COMPLETED');
          assert.equal(info.type, 'upserter');
          assert.equal(info.taskQueue, taskQueue);
          assert.ok(info.closeTime && info.closeTime >= info.startTime);
          assert.ok((info.historyLength ?? 0) > 3);
          assert.deepEqual(info.memo, { idx: 1, note: 'memo 1' });
          assert.equal(info.typedSearchAttributes.get(CustomKw), 'odd-1');
          assert.equal(info.typedSearchAttributes.get(CustomInt), 100);
          assert.equal(info.typedSearchAttributes.get(CustomDbl), 1.5);
          assert.equal(info.typedSearchAttributes.get(CustomBool), false);
          assert.equal(info.typedSearchAttributes.get(CustomTime)?.toISOString(), '2024-03-01T11:00:00.000Z');
          assert.deepEqual(info.typedSearchAttributes.get(CustomList), ['tag1', 'every']);

          // count, with GROUP BY
          assert.equal((await client.workflow.count(mine)).count, 6);
          const grouped = await client.workflow.count(`${mine} GROUP BY ExecutionStatus`);
          assert.equal(grouped.count, 6);
          assert.deepEqual(Object.fromEntries(grouped.groups.map((g) => [String(g.groupValues[0]), g.count])), { Running: 3, Completed: 3 });

          // ---- upsert in workflow code (legacy form) + memo change
          const up = await client.workflow.start('upserter', {
            taskQueue,
            workflowId: `${other}-up`,
            args: [{ CustomKw: ['upserted'], CustomInt: [42] }, { changed: 'yes' }],
            memo: { orig: 1 },
          });
          await eventually(
            'upserted row',
            async () => (await client.workflow.count(`WorkflowId = '${other}-up' AND CustomKw = 'upserted' AND CustomInt = 42`)).count === 1,
          );
          await eventually('memo change', async () => {
            for await (const w of client.workflow.list({ query: `WorkflowId = '${other}-up'` }))
              return JSON.stringify(w.memo) === JSON.stringify({ orig: 1, changed: 'yes' });
            return false;
          });
          await up.signal('finish');
          await up.result();
          // typed upsert, in a workflow that completes at once
          await client.workflow.execute('typedUpserter', {
            taskQueue,
            workflowId: `${other}-typed`,
            args: [
              [
                ['CustomDbl', 'DOUBLE', 9.25],
                ['CustomTime', 'DATETIME', '2030-01-01T00:00:00Z'],
              ],
            ],
          });
          await eventually(
            'typed upsert',
            async () =>
              (
                await client.workflow.count(
                  `WorkflowId = '${other}-typed' AND CustomDbl = 9.25 AND CustomTime > '2029-12-31T00:00:00Z' AND ExecutionStatus = 'Completed'`,
                )
              ).count === 1,
          );

          // ---- open / closed listing (the older API)
          const open = await client.workflowService.listOpenWorkflowExecutions({
            namespace: 'default',
            maximumPageSize: 100,
            typeFilter: { name: 'upserter' },
          });
          assert.deepEqual(
            open.executions
              .map((e) => e.execution!.workflowId)
              .filter((w) => w!.startsWith(prefix))
              .sort(),
            [3, 4, 5].map((i) => `${prefix}-${i}`),
          );
          const closed = await client.workflowService.listClosedWorkflowExecutions({
            namespace: 'default',
            maximumPageSize: 100,
            executionFilter: { workflowId: `${prefix}-0` },
          });
          assert.deepEqual(
            closed.executions.map((e) => e.execution!.workflowId),
            [`${prefix}-0`],
          );
          const scan = await client.workflowService.scanWorkflowExecutions({ namespace: 'default', query: mine, pageSize: 100 });
          assert.equal(scan.executions.length, 6);

          // ---- errors
          await assert.rejects(
            client.workflow.start('quick', { taskQueue, workflowId: uid('bad'), searchAttributes: { NoSuchAttr: ['x'] } }),
            (e: unknown) => /NoSuchAttr is not defined/.test(text(e)) && code(e) === grpcStatus.INVALID_ARGUMENT,
          );
          await assert.rejects(
            client.workflow.start('quick', { taskQueue, workflowId: uid('bad'), searchAttributes: { CustomInt: ['not a number'] } }),
            (e: unknown) => /CustomInt is of type Int/.test(text(e)) && code(e) === grpcStatus.INVALID_ARGUMENT,
          );
          await assert.rejects(client.workflow.count('CustomInt = '), (e: unknown) => code(e) === grpcStatus.INVALID_ARGUMENT && /at column 13/.test(text(e)));
          await assert.rejects(
            (async () => {
              for await (const _ of client.workflow.list({ query: "CustomKw = 'a' AND (" })) void _;
            })(),
            (e: unknown) => code(e) === grpcStatus.INVALID_ARGUMENT && /invalid query: .*at column 21/.test(text(e)),
          );
          // an upsert of an unknown attribute fails the workflow task (BAD_SEARCH_ATTRIBUTES)
          const bad = await client.workflow.start('upserter', { taskQueue, workflowId: `${other}-badup`, args: [{ Nope: ['x'] }, {}] });
          await eventually('workflow task failed with BAD_SEARCH_ATTRIBUTES', async () => {
            const hist = await bad.fetchHistory();
            return hist.events!.some(
              (e) =>
                e.workflowTaskFailedEventAttributes?.cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
            );
          });
          await bad.terminate('test done');
          for (const h of handles.slice(3)) await h.terminate('test done');
          await eventually('terminated rows', async () => (await client.workflow.count(`${mine} AND ExecutionStatus = 'Terminated'`)).count === 3);
        });
      } finally {
        await db.cleanup();
      }
    });
  });
}
