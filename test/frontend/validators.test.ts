/**
 * One validator per RPC: a bad request answers INVALID_ARGUMENT whose message starts with the field
 * it is about, before any namespace lookup or history call, and changes nothing in either store
 * (both databases dumped before and after, row for row). Every served method with a field that can
 * be wrong has a case here; the official client sends the requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { OPERATOR_SERVICE_UNIMPLEMENTED, WORKFLOW_SERVICE_UNIMPLEMENTED } from '../../src/frontend/unimplemented';
import type { RunningTemporalServer } from '../../src/server/server';
import { startServer, tempDbFile } from '../engine/harness';
import { comparableTables, dumpDatabase } from '../helpers/table-dump';
import { makeVisibilityDb, type VisibilityDb } from '../visibility/harness';

type GrpcErr = { code?: number; details?: string };
const INVALID_ARGUMENT = 3;
const E = temporal.api.enums.v1;
const ns = 'default';
const token = (o: object) => Buffer.from(JSON.stringify(o));
const wtToken = token({ k: 'wt', ns: 'n', wid: 'w', rid: '00000000-0000-0000-0000-000000000000', sched: 2, started: 3, attempt: 1 });
const atToken = token({ k: 'at', ns: 'n', wid: 'w', rid: '00000000-0000-0000-0000-000000000000', aid: '1', sched: 5, attempt: 1 });
const start = { namespace: ns, workflowId: 'wf-bad', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } };
const update = { meta: { updateId: 'u1' }, input: { name: 'upd' } };
const long = 'x'.repeat(1001);
const sched = {
  spec: { interval: [{ interval: { seconds: 60 } }] },
  action: { startWorkflow: { workflowId: 'w', workflowType: { name: 'T' }, taskQueue: { name: 'tq' } } },
};

/** [rpc, request, the message it must answer with] */
type Case = [string, object, RegExp];

const WORKFLOW_SERVICE_CASES: Case[] = [
  ['RegisterNamespace', { namespace: '' }, /^namespace: is required/],
  ['RegisterNamespace', { namespace: 'bad name!' }, /^namespace: "bad name!" must start with a letter or digit/],
  ['RegisterNamespace', { namespace: 'n'.repeat(256) }, /^namespace: exceeds 255 characters/],
  ['DescribeNamespace', {}, /^namespace: is required/],
  ['UpdateNamespace', { namespace: '' }, /^namespace: is required/],
  ['UpdateNamespace', { namespace: ns, updateInfo: { state: 42 } }, /^updateInfo\.state: 42 is not a namespace state/],
  ['DeprecateNamespace', {}, /^namespace: is required/],
  ['StartWorkflowExecution', { ...start, namespace: '' }, /^namespace: is required/],
  ['StartWorkflowExecution', { ...start, workflowId: '' }, /^workflowId: is required/],
  ['StartWorkflowExecution', { ...start, workflowId: long }, /^workflowId: exceeds length limit of 255/],
  ['StartWorkflowExecution', { ...start, workflowType: {} }, /^workflowType\.name: is required/],
  ['StartWorkflowExecution', { ...start, taskQueue: { name: long } }, /^taskQueue\.name: exceeds length limit/],
  ['StartWorkflowExecution', { ...start, workflowExecutionTimeout: { seconds: -1 } }, /^workflowExecutionTimeout: must not be negative/],
  ['StartWorkflowExecution', { ...start, requestId: 'r'.repeat(256) }, /^requestId: exceeds length limit of 255/],
  ['StartWorkflowExecution', { ...start, workflowIdReusePolicy: 77 }, /^workflowIdReusePolicy: 77 is not a valid WorkflowIdReusePolicy/],
  [
    'StartWorkflowExecution',
    {
      ...start,
      workflowIdReusePolicy: E.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING,
      workflowIdConflictPolicy: E.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
    },
    /^workflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together/,
  ],
  ['StartWorkflowExecution', { ...start, retryPolicy: { initialInterval: { seconds: 10 }, maximumInterval: { seconds: 1 } } }, /^retryPolicy\.maximumInterval/],
  ['StartWorkflowExecution', { ...start, cronSchedule: 'every full moon' }, /^cronSchedule: /],
  [
    'StartWorkflowExecution',
    { ...start, cronSchedule: '* * * * *', workflowStartDelay: { seconds: 5 } },
    /^workflowStartDelay: cannot be used with cronSchedule/,
  ],
  ['SignalWithStartWorkflowExecution', { ...start, signalName: '' }, /^signalName: is required/],
  [
    'SignalWithStartWorkflowExecution',
    { ...start, signalName: 's', workflowIdConflictPolicy: E.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL },
    /^workflowIdConflictPolicy: WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported for SignalWithStartWorkflowExecution/,
  ],
  ['ExecuteMultiOperation', { namespace: ns, operations: [] }, /^operations: must be exactly \[startWorkflow, updateWorkflow\]/],
  [
    'ExecuteMultiOperation',
    { namespace: ns, operations: [{ startWorkflow: start }, { updateWorkflow: { namespace: ns, request: update } }] },
    /^operations\[0\]\.startWorkflow\.workflowIdConflictPolicy: is required for update-with-start/,
  ],
  [
    'ExecuteMultiOperation',
    {
      namespace: ns,
      operations: [
        { startWorkflow: { ...start, workflowIdConflictPolicy: E.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING, workflowType: {} } },
        { updateWorkflow: { namespace: ns, request: update } },
      ],
    },
    /^workflowType\.name: is required/,
  ],
  ['SignalWorkflowExecution', { namespace: ns, workflowExecution: { workflowId: 'w' }, signalName: '' }, /^signalName: is required/],
  ['SignalWorkflowExecution', { namespace: ns, workflowExecution: {}, signalName: 's' }, /^workflowExecution\.workflowId: is required/],
  [
    'RequestCancelWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: 'w', runId: 'nope' } },
    /^workflowExecution\.runId: "nope" is not a valid run id/,
  ],
  ['TerminateWorkflowExecution', { namespace: '', workflowExecution: { workflowId: 'w' } }, /^namespace: is required/],
  ['DescribeWorkflowExecution', { namespace: ns }, /^execution\.workflowId: is required/],
  ['GetWorkflowExecutionHistory', { namespace: ns, execution: { workflowId: 'w' }, maximumPageSize: -1 }, /^maximumPageSize: must not be negative/],
  [
    'QueryWorkflow',
    { namespace: ns, execution: { workflowId: 'w' }, query: { queryType: 'q' }, queryRejectCondition: 9 },
    /^queryRejectCondition: 9 is not a valid value/,
  ],
  [
    'UpdateWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: 'w' }, request: { meta: {}, input: { name: 'u' } } },
    /^request\.meta\.updateId: is required/,
  ],
  [
    'UpdateWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: 'w' }, request: update, waitPolicy: { lifecycleStage: 9 } },
    /^waitPolicy\.lifecycleStage: 9 is not a valid value/,
  ],
  ['PollWorkflowExecutionUpdate', { namespace: ns, updateRef: { workflowExecution: { workflowId: 'w' } } }, /^updateRef\.updateId: is required/],
  ['PollWorkflowTaskQueue', { namespace: ns, taskQueue: { name: 'tq', kind: 7 } }, /^taskQueue\.kind: 7 is not a valid value/],
  ['PollActivityTaskQueue', { namespace: '', taskQueue: { name: 'tq' } }, /^namespace: is required/],
  ['RespondWorkflowTaskCompleted', { namespace: ns, taskToken: atToken }, /^taskToken: is not a workflow task token/],
  ['RespondWorkflowTaskFailed', { namespace: ns, taskToken: Buffer.alloc(0) }, /^taskToken: is required/],
  ['RecordActivityTaskHeartbeat', { namespace: ns, taskToken: wtToken }, /^taskToken: is not an activity task token/],
  ['RespondActivityTaskCompleted', { namespace: ns, taskToken: Buffer.from('{') }, /^taskToken: is malformed/],
  ['RespondActivityTaskFailed', { namespace: ns, taskToken: wtToken }, /^taskToken: is not an activity task token/],
  ['RespondActivityTaskCanceled', { namespace: ns, taskToken: wtToken }, /^taskToken: is not an activity task token/],
  ['RespondQueryTaskCompleted', { namespace: ns, taskToken: wtToken, completedType: 1 }, /^taskToken: is not a query task token/],
  ['ListWorkflowExecutions', { namespace: '' }, /^namespace: is required/],
  ['ScanWorkflowExecutions', { namespace: '' }, /^namespace: is required/],
  ['CountWorkflowExecutions', { namespace: '' }, /^namespace: is required/],
  ['ListOpenWorkflowExecutions', { namespace: '' }, /^namespace: is required/],
  ['ListClosedWorkflowExecutions', { namespace: '' }, /^namespace: is required/],
  ['ResetWorkflowExecution', { namespace: ns, workflowExecution: { workflowId: 'w' } }, /^workflowTaskFinishEventId: is required/],
  [
    'ResetWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: '' }, workflowTaskFinishEventId: 4 },
    /^workflowExecution\.workflowId: is required/,
  ],
  [
    'ResetWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: 'w' }, workflowTaskFinishEventId: 4, resetReapplyType: 9 },
    /^resetReapplyType: 9 is not/,
  ],
  [
    'ResetWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: 'w' }, workflowTaskFinishEventId: 4, postResetOperations: [{ updateWorkflowOptions: {} }] },
    /^postResetOperations: are not supported/,
  ],
  [
    'DeleteWorkflowExecution',
    { namespace: ns, workflowExecution: { workflowId: 'w', runId: 'nope' } },
    /^workflowExecution\.runId: "nope" is not a valid run id/,
  ],
  ['GetWorkflowExecutionHistoryReverse', { namespace: ns, execution: { workflowId: 'w' }, nextPageToken: Buffer.from('x') }, /^nextPageToken: is malformed/],
  ['ResetStickyTaskQueue', { namespace: ns, execution: {} }, /^execution\.workflowId: is required/],
  ['UpdateWorkflowExecutionOptions', { namespace: ns, workflowExecution: { workflowId: 'w' } }, /^workflowExecutionOptions: is required/],
  [
    'UpdateWorkflowExecutionOptions',
    { namespace: ns, workflowExecution: { workflowId: 'w' }, workflowExecutionOptions: {}, updateMask: { paths: ['cron'] } },
    /^updateMask: path "cron" is not an option/,
  ],
  ['RecordActivityTaskHeartbeatById', { namespace: ns, workflowId: 'w' }, /^activityId: is required/],
  ['RespondActivityTaskCompletedById', { namespace: ns, activityId: 'a' }, /^workflowId: is required/],
  ['RespondActivityTaskFailedById', { namespace: '', workflowId: 'w', activityId: 'a' }, /^namespace: is required/],
  ['RespondActivityTaskCanceledById', { namespace: ns, workflowId: 'w' }, /^activityId: is required/],
  ['PauseActivity', { namespace: ns, execution: { workflowId: 'w' } }, /^id: name the activity: exactly one of id or type/],
  ['UnpauseActivity', { namespace: ns, execution: { workflowId: 'w' } }, /^id: name the activity: exactly one of id, type or unpauseAll/],
  ['UnpauseActivity', { namespace: ns, execution: { workflowId: 'w' }, id: 'a', jitter: { seconds: 5 } }, /^jitter: is not supported/],
  ['DescribeTaskQueue', { namespace: ns, taskQueue: { name: '' } }, /^taskQueue\.name: is required/],
  ['DescribeTaskQueue', { namespace: ns, taskQueue: { name: 'tq' }, taskQueueType: 7 }, /^taskQueueType: 7 is not/],
  ['ListTaskQueuePartitions', { namespace: ns }, /^taskQueue\.name: is required/],
  ['CreateSchedule', { namespace: ns, scheduleId: '', schedule: sched }, /^schedule_id: is not set/],
  ['CreateSchedule', { namespace: ns, scheduleId: 's', schedule: { spec: {} } }, /^schedule\.action\.start_workflow: is not set/],
  ['CreateSchedule', { namespace: ns, scheduleId: 's', schedule: { ...sched, spec: { cronString: ['61 * * * *'] } } }, /^Invalid schedule spec: .*cron_string/],
  [
    'CreateSchedule',
    { namespace: ns, scheduleId: 's', schedule: { ...sched, spec: { structuredCalendar: [{ hour: [{ start: 25 }] }] } } },
    /^Invalid schedule spec: .*hour/,
  ],
  [
    'CreateSchedule',
    { namespace: ns, scheduleId: 's', schedule: { ...sched, spec: { timezoneName: 'Mars/Olympus_Mons', interval: [{ interval: { seconds: 60 } }] } } },
    /^Invalid schedule spec: .*Mars\/Olympus_Mons/,
  ],
  [
    'CreateSchedule',
    { namespace: ns, scheduleId: 's', schedule: { ...sched, action: { startWorkflow: { ...sched.action.startWorkflow, cronSchedule: '* * * * *' } } } },
    /^schedule\.action\.start_workflow\.cron_schedule: is not allowed/,
  ],
  ['CreateSchedule', { namespace: ns, scheduleId: 's', schedule: { ...sched, policies: { overlapPolicy: 42 } } }, /^schedule\.policies\.overlap_policy: 42/],
  ['DescribeSchedule', { namespace: ns, scheduleId: '' }, /^schedule_id: is not set/],
  ['UpdateSchedule', { namespace: ns, scheduleId: 's', schedule: sched, conflictToken: Buffer.from('abc') }, /^conflict_token: /],
  ['PatchSchedule', { namespace: ns, scheduleId: 's' }, /^patch: is not set/],
  ['PatchSchedule', { namespace: ns, scheduleId: 's', patch: { pause: 'a', unpause: 'b' } }, /^patch: pause and unpause are both set/],
  [
    'PatchSchedule',
    { namespace: ns, scheduleId: 's', patch: { backfillRequest: [{ startTime: { seconds: 100 }, endTime: { seconds: 50 } }] } },
    /^patch\.backfill_request\[0\]: end_time is before start_time/,
  ],
  ['DeleteSchedule', { namespace: '', scheduleId: 's' }, /^namespace: is required/],
  ['ListSchedules', { namespace: ns, maximumPageSize: -1 }, /^maximum_page_size: is negative/],
  ['CountSchedules', { namespace: '' }, /^namespace: is required/],
  ['ListScheduleMatchingTimes', { namespace: ns, scheduleId: 's', startTime: { seconds: 100 } }, /^end_time: is not set/],
];

const OPERATOR_SERVICE_CASES: Case[] = [
  ['DeleteNamespace', {}, /^namespace: is required/],
  ['ListClusters', { pageSize: -1 }, /^pageSize: must not be negative/],
  [
    'AddSearchAttributes',
    { searchAttributes: { CustomKeyword: E.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } },
    /^namespace: is required: custom search attributes/,
  ],
  ['ListSearchAttributes', {}, /^namespace: is required/],
  ['RemoveSearchAttributes', { searchAttributes: ['CustomKeyword'] }, /^namespace: is required/],
];

/** The methods of a generated service (its reflection) that are not listed as unimplemented. */
function servedMethods(service: object, unimplemented: object): string[] {
  return Object.keys((service as { methods: Record<string, unknown> }).methods).filter((m) => !(m in unimplemented));
}

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1);

describe('validators', () => {
  const db = tempDbFile();
  let vis: VisibilityDb;
  let server: RunningTemporalServer;
  let conn: Connection;
  before(async () => {
    vis = await makeVisibilityDb('sqlite');
    server = await startServer(db.file, { visibility: vis.config });
    conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  });
  after(async () => {
    await conn?.close();
    await server?.stop();
    await vis?.cleanup();
    db.cleanup();
  });

  const expectInvalid = async (label: string, stub: object, [rpc, request, message]: Case) => {
    const call = (stub as Record<string, (r: object) => Promise<unknown>>)[camel(rpc)]!;
    await assert.rejects(call.call(stub, request), (err: GrpcErr) => {
      assert.equal(err.code, INVALID_ARGUMENT, `${label}.${rpc}: expected INVALID_ARGUMENT, got ${err.code}: ${err.details}`);
      assert.match(err.details ?? '', message, `${label}.${rpc}`);
      return true;
    });
  };

  test('bad requests are INVALID_ARGUMENT naming the field, and write nothing', async () => {
    const before = [comparableTables(await dumpDatabase('sqlite', db.file)), comparableTables(await dumpDatabase('sqlite', vis.config.databaseName))];
    for (const c of WORKFLOW_SERVICE_CASES) await expectInvalid('WorkflowService', conn.workflowService, c);
    for (const c of OPERATOR_SERVICE_CASES) await expectInvalid('OperatorService', conn.operatorService, c);
    // checks that need the namespace's definitions (search attributes) come after the lookup, before history
    await expectInvalid('WorkflowService', conn.workflowService, [
      'StartWorkflowExecution',
      { ...start, searchAttributes: { indexedFields: { NoSuchAttribute: defaultPayloadConverter.toPayload('x') } } },
      /^searchAttributes: search attribute NoSuchAttribute is not defined in this namespace/,
    ]);
    const afterwards = [comparableTables(await dumpDatabase('sqlite', db.file)), comparableTables(await dumpDatabase('sqlite', vis.config.databaseName))];
    assert.deepEqual(afterwards, before, 'a refused request changed a store');
    // and the workflow of the start cases does not exist
    await assert.rejects(conn.workflowService.describeWorkflowExecution({ namespace: ns, execution: { workflowId: 'wf-bad' } }), (e: GrpcErr) => e.code === 5);
  });

  test('every served method with fields has a case', () => {
    const covered = new Set([...WORKFLOW_SERVICE_CASES, ...OPERATOR_SERVICE_CASES].map(([rpc]) => rpc));
    // the methods whose request has nothing that could be wrong
    const nothingToCheck = new Set(['GetSystemInfo', 'GetClusterInfo', 'ListNamespaces', 'ShutdownWorker', 'GetSearchAttributes']);
    const served = [
      ...servedMethods(temporal.api.workflowservice.v1.WorkflowService, WORKFLOW_SERVICE_UNIMPLEMENTED),
      ...servedMethods(temporal.api.operatorservice.v1.OperatorService, OPERATOR_SERVICE_UNIMPLEMENTED),
    ];
    assert.deepEqual(
      served.filter((m) => !covered.has(m) && !nothingToCheck.has(m)),
      [],
      'served methods without a bad-request case',
    );
    assert.deepEqual(
      [...covered].filter((m) => !served.includes(m)),
      [],
      'cases for methods that are not served',
    );
  });
});
