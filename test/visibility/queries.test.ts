/**
 * The List Filter language against a real visibility store of every engine: rows written through
 * the VisibilityStore, queries through the VisibilityManager (parser -> compiler -> SQL). Every
 * operator, ORDER BY, default order, paging, Count with GROUP BY, typed errors with positions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { VisibilityManager } from '../../src/visibility/manager';
import { openVisibilityStore } from '../../src/visibility/open';
import { QueryError } from '../../src/visibility/query/errors';
import { typedValue, type SaType } from '../../src/visibility/search-attributes';
import type { ExecutionSnapshot } from '../../src/visibility';
import type { VisibilityRecord } from '../../src/visibility/store';
import { engineAvailability, ENGINES } from '../helpers/databases';
import { makeVisibilityDb, type VisibilityDb } from './harness';

const IVT = temporal.api.enums.v1.IndexedValueType;
const NS = 'ns-query-test';
const BASE = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const N = 10;

const CUSTOM: Record<string, [SaType, number]> = {
  Kw: ['Keyword', IVT.INDEXED_VALUE_TYPE_KEYWORD],
  Num: ['Int', IVT.INDEXED_VALUE_TYPE_INT],
  Dbl: ['Double', IVT.INDEXED_VALUE_TYPE_DOUBLE],
  Flag: ['Bool', IVT.INDEXED_VALUE_TYPE_BOOL],
  When: ['Datetime', IVT.INDEXED_VALUE_TYPE_DATETIME],
  Txt: ['Text', IVT.INDEXED_VALUE_TYPE_TEXT],
  Tags: ['KeywordList', IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST],
};

const running = (i: number) => i < 3;
const status = (i: number) => (running(i) ? 1 : i % 3 === 0 ? 3 : 2);
const start = (i: number) => BASE + i * 1000;
const close = (i: number) => (running(i) ? null : start(i) + 500 + i);
const hasAttrs = (i: number) => i < 9;

function values(i: number): Record<string, unknown> {
  return {
    Kw: i < 5 ? `alpha-${i}` : `beta-${i}`,
    Num: i * 10,
    Dbl: i / 2,
    Flag: i % 2 === 0,
    When: new Date(BASE + i * DAY).toISOString(),
    Txt: i < 5 ? 'the quick brown fox' : 'lazy dogs sleep',
    Tags: [`t${i % 3}`, 'all'],
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** [query, which rows match] */
const CASES: [string, (i: number) => boolean][] = [
  ["WorkflowId = 'wf-3'", (i) => i === 3],
  ['WorkflowId = "wf-1"', (i) => i === 1],
  ["WorkflowId != 'wf-3'", (i) => i !== 3],
  ["WorkflowId = 'x'' OR 1=1 --'", () => false],
  ["WorkflowId = 'wf-1' OR 1=1", () => false], // never reached: 1=1 is not a condition (see errors)
  ["RunId = 'run-2'", (i) => i === 2],
  ["TaskQueue = 'tq'", () => true],
  ["WorkflowType = 'TypeA' AND (Num < 30 OR Num > 70)", (i) => i % 2 === 0 && hasAttrs(i) && (i < 3 || i > 7)],
  ["NOT (WorkflowType = 'TypeA')", (i) => i % 2 === 1],
  ["NOT WorkflowType = 'TypeA' AND NOT Num < 50", (i) => i % 2 === 1 && hasAttrs(i) && i >= 5],
  ['Num > 50', (i) => hasAttrs(i) && i * 10 > 50],
  ['Num >= 50', (i) => hasAttrs(i) && i * 10 >= 50],
  ['Num < 20', (i) => hasAttrs(i) && i * 10 < 20],
  ['Num <= 20', (i) => hasAttrs(i) && i * 10 <= 20],
  ['`Num` = 10', (i) => i === 1],
  ['Num = -5', () => false],
  ['Num BETWEEN 20 AND 40', (i) => hasAttrs(i) && i >= 2 && i <= 4],
  ['Num NOT BETWEEN 20 AND 40', (i) => hasAttrs(i) && (i < 2 || i > 4)],
  ['Num IN (10, 30, 999)', (i) => i === 1 || i === 3],
  ['Num NOT IN (10, 30)', (i) => hasAttrs(i) && i !== 1 && i !== 3],
  ["Kw STARTS_WITH 'alpha'", (i) => i < 5],
  ["Kw NOT STARTS_WITH 'alpha'", (i) => hasAttrs(i) && i >= 5],
  ["Kw STARTS_WITH 'ALPHA'", () => false],
  ["Kw STARTS_WITH 'al%'", () => false],
  ["Kw STARTS_WITH 'a_pha'", () => false],
  ["Kw > 'beta'", (i) => hasAttrs(i) && i >= 5],
  ["Kw IN ('alpha-1', 'beta-7')", (i) => i === 1 || i === 7],
  ['Kw IS NULL', (i) => !hasAttrs(i)],
  ['Kw IS NOT NULL', hasAttrs],
  ['Dbl >= 2.5', (i) => hasAttrs(i) && i >= 5],
  ['Dbl < 1e0', (i) => i < 2],
  ['Flag = true', (i) => hasAttrs(i) && i % 2 === 0],
  ['Flag = false', (i) => hasAttrs(i) && i % 2 === 1],
  ['Flag != TRUE', (i) => hasAttrs(i) && i % 2 === 1],
  [`When > '${iso(BASE + 3 * DAY)}'`, (i) => hasAttrs(i) && i > 3],
  [`When BETWEEN '${iso(BASE + 2 * DAY)}' AND '${iso(BASE + 4 * DAY)}'`, (i) => i >= 2 && i <= 4],
  [`When = '2024-01-02T00:00:00+00:00'`, (i) => i === 1],
  ["Txt = 'fox'", (i) => i < 5],
  ["Txt = 'sleeping dogs'", (i) => hasAttrs(i) && i >= 5],
  ["Txt != 'fox'", (i) => hasAttrs(i) && i >= 5],
  ["Tags = 't1'", (i) => hasAttrs(i) && i % 3 === 1],
  ["Tags = 'all'", hasAttrs],
  ["Tags != 't1'", (i) => hasAttrs(i) && i % 3 !== 1],
  ["Tags IN ('t0', 't2')", (i) => hasAttrs(i) && i % 3 !== 1],
  ["Tags NOT IN ('t0')", (i) => hasAttrs(i) && i % 3 !== 0],
  ["ExecutionStatus = 'Running'", running],
  ["ExecutionStatus = 'running'", running],
  ["ExecutionStatus = 'Failed'", (i) => status(i) === 3],
  ["ExecutionStatus IN ('Completed', 'Failed')", (i) => !running(i)],
  ["ExecutionStatus != 'Running'", (i) => !running(i)],
  ['CloseTime IS NULL', running],
  ['CloseTime IS NOT NULL', (i) => !running(i)],
  [`StartTime >= '${iso(BASE + 5000)}'`, (i) => i >= 5],
  [`CloseTime < '${iso(BASE + 6000)}'`, (i) => !running(i) && i < 6],
  ["ExecutionDuration > '0s'", (i) => !running(i)],
  ["ExecutionDuration >= '505ms'", (i) => !running(i) && i >= 5],
  ['HistoryLength = 7', (i) => i === 7],
  ['', () => true],
  ["((((WorkflowId = 'wf-4'))))", (i) => i === 4],
];

for (const engine of ENGINES) {
  describe(`visibility queries: ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    let db: VisibilityDb | undefined;
    let vm: VisibilityManager;

    before(async () => {
      if (skip) return;
      db = await makeVisibilityDb(engine);
      vm = new VisibilityManager(await openVisibilityStore(db.config));
      await vm.addAttributes(NS, 'test', Object.fromEntries(Object.entries(CUSTOM).map(([k, [, code]]) => [k, code])));
      const attrs = await vm.registry.get(NS, 0);
      for (let i = 0; i < N; i++) {
        const columns: Record<string, unknown> = {};
        const json: Record<string, unknown> = {};
        if (hasAttrs(i)) {
          for (const [name, v] of Object.entries(values(i))) {
            const tv = typedValue(name, CUSTOM[name]![0], v)!;
            columns[attrs.lookup(name)!.column!] = tv.column;
            json[name] = tv.json;
          }
        }
        const c = close(i);
        const rec: VisibilityRecord = {
          namespaceId: NS,
          runId: `run-${i}`,
          workflowId: `wf-${i}`,
          workflowTypeName: i % 2 === 0 ? 'TypeA' : 'TypeB',
          taskQueue: 'tq',
          status: status(i),
          startTimeMs: start(i),
          executionTimeMs: start(i),
          closeTimeMs: c,
          historyLength: i,
          historySizeBytes: 100 * i,
          executionDurationMs: c === null ? null : c - start(i),
          stateTransitionCount: null,
          memo: null,
          encoding: null,
          parentWorkflowId: null,
          parentRunId: null,
          rootWorkflowId: null,
          rootRunId: null,
          searchAttributes: hasAttrs(i) ? json : null,
          columns,
        };
        await vm.store.upsertExecution(rec);
        await vm.store.upsertExecution(rec); // idempotent
      }
      // a row of another namespace is never seen
      await vm.recordExecution(otherNamespaceRun());
    });

    after(async () => {
      await vm?.close();
      await db?.cleanup();
    });

    const ids = async (q: string, pageSize = 100): Promise<string[]> => {
      const r = await vm.list(NS, q, pageSize, undefined);
      return r.executions.map((e) => e.execution!.workflowId!);
    };

    test('every operator selects the right rows', { skip }, async () => {
      for (const [q, pred] of CASES) {
        if (q.includes('OR 1=1') && !q.includes("''")) continue;
        const want = Array.from({ length: N }, (_, i) => i)
          .filter(pred)
          .map((i) => `wf-${i}`)
          .sort();
        assert.deepEqual((await ids(q)).sort(), want, `query: ${q}`);
        const { count } = await vm.count(NS, q);
        assert.equal(count, want.length, `count: ${q}`);
      }
    });

    test('default order, ORDER BY and paging', { skip }, async () => {
      // running first (newest start first), then closed by close time, newest first
      const defaultOrder = [2, 1, 0, 9, 8, 7, 6, 5, 4, 3].map((i) => `wf-${i}`);
      assert.deepEqual(await ids(''), defaultOrder);
      assert.deepEqual(
        await ids('Num IS NOT NULL ORDER BY Num DESC'),
        [8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => `wf-${i}`),
      );
      assert.deepEqual(
        await ids('ORDER BY StartTime'),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `wf-${i}`),
      );
      assert.deepEqual(
        await ids('Kw IS NOT NULL ORDER BY Kw DESC, StartTime ASC'),
        [8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => `wf-${i}`),
      );
      assert.deepEqual(
        await ids("ExecutionStatus != 'Running' ORDER BY CloseTime asc"),
        [3, 4, 5, 6, 7, 8, 9].map((i) => `wf-${i}`),
      );
      for (const [q, size] of [
        ['', 3],
        ['', 1],
        ['', 10],
        ['Num >= 0 ORDER BY Dbl', 4],
        ["WorkflowType = 'TypeB'", 2],
      ] as [string, number][]) {
        const all = await ids(q);
        const paged: string[] = [];
        let token: Uint8Array | undefined;
        let pages = 0;
        do {
          const r = await vm.list(NS, q, size, token);
          assert.ok(r.executions.length <= size);
          paged.push(...r.executions.map((e) => e.execution!.workflowId!));
          token = r.nextPageToken;
          assert.ok(++pages <= N + 1, 'paging does not end');
        } while (token);
        assert.deepEqual(paged, all, `paging ${q} by ${size}`);
      }
      await assert.rejects(vm.list(NS, '', 2, Buffer.from('garbage')), /nextPageToken/);
    });

    test('count with GROUP BY ExecutionStatus', { skip }, async () => {
      const r = await vm.count(NS, 'GROUP BY ExecutionStatus');
      assert.equal(r.count, N);
      const groups = Object.fromEntries(r.groups.map((g) => [JSON.parse(Buffer.from((g.groupValues[0] as { data: Uint8Array }).data).toString()), g.count]));
      assert.deepEqual(groups, { Running: 3, Completed: 4, Failed: 3 });
      const r2 = await vm.count(NS, "WorkflowType = 'TypeA' GROUP BY ExecutionStatus");
      assert.equal(r2.count, 5);
    });

    test('invalid queries are INVALID_ARGUMENT naming what and where', { skip }, async () => {
      const bad: [string, RegExp, number | undefined][] = [
        ["Num = 'abc'", /Num is a Int attribute: expected an integer/, 7],
        ['Nope = 1', /unknown search attribute Nope/, 1],
        ['WorkflowId =', /expected a value/, 13],
        ['ORDER BY WorkflowId', /ORDER BY WorkflowId is not supported/, 10],
        ["Txt STARTS_WITH 'a'", /STARTS_WITH is not supported for Txt/, 1],
        ["WorkflowId = 'a' OR 1=1", /expected a search attribute name/, 21],
        ["(WorkflowId = 'a'", /expected '\)'/, 18],
        ["WorkflowId = 'a')", /unbalanced/, 17],
        ["WorkflowId = 'abc", /unterminated string/, 14],
        ["ExecutionStatus = 'Sleeping'", /unknown ExecutionStatus/, 19],
        ["StartTime > 'yesterday'", /RFC 3339/, 13],
        ['Flag = 1', /true or false/, 8],
        ["WorkflowId LIKE 'a%'", /LIKE is not supported; use STARTS_WITH/, 12],
        ["WorkflowId = 'a'; DROP TABLE executions_visibility", /unexpected character ';'/, 17],
        ['GROUP BY ExecutionStatus', /only supported by CountWorkflowExecutions/, 10],
        ["TemporalChangeVersion = 'x'", /cannot be used in queries/, 1],
      ];
      for (const [q, re, col] of bad) {
        await assert.rejects(vm.list(NS, q, 10, undefined), (err: unknown) => {
          assert.ok(err instanceof QueryError, `${q}: ${String(err)}`);
          assert.match(err.message, re, q);
          if (col !== undefined) assert.match(err.message, new RegExp(`at column ${col}\\)`), `${q}: ${err.message}`);
          return true;
        });
      }
      await assert.rejects(vm.count(NS, 'ORDER BY StartTime'), /ORDER BY is not supported by CountWorkflowExecutions/);
      await assert.rejects(vm.count(NS, 'GROUP BY WorkflowType'), /only GROUP BY ExecutionStatus/);
    });
  });
}

/** A running run of another namespace, as history's visibility queue describes one. */
function otherNamespaceRun(): ExecutionSnapshot {
  return {
    namespaceId: 'other-ns',
    workflowId: 'wf-1',
    runId: 'other-run',
    workflowType: 'TypeA',
    taskQueue: 'tq',
    status: 1, // WORKFLOW_EXECUTION_STATUS_RUNNING
    startTimeMs: BASE,
    executionTimeMs: BASE,
    closeTimeMs: null,
    historyLength: 2,
    historySizeBytes: 0,
    memo: null,
    searchAttributes: null,
  };
}
