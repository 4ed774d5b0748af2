/**
 * `temporal-ts workflow …`: start, execute, list, count, describe, show, result, signal, query,
 * stack, update (execute/start), cancel, terminate. Flag names follow Temporal's `temporal` CLI.
 * Raw WorkflowService calls, so payloads are the JSON the user typed (json/plain), as in Go's CLI.
 */
import { type Command, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { temporal } from '../common/proto';
import { addClientOptions, collect, flagsOf, withClient, type CliContext } from './client-context';
import { argsText, CliError, statusStyle, textValue } from './output';
import {
  humanDuration,
  enumShort,
  failureText,
  jsonPayload,
  messageToJson,
  parseDuration,
  parseJsonFlag,
  parseKeyJsonPairs,
  payloadsToValues,
  payloadToValue,
  statusName,
  timestampText,
} from './proto-json';

import enums = temporal.api.enums.v1;
type IHistoryEvent = temporal.api.history.v1.IHistoryEvent;

interface InputFlags {
  input?: string[];
  inputFile?: string[];
}
interface ExecFlags {
  workflowId: string;
  runId?: string;
}

const ID_REUSE = ['AllowDuplicate', 'AllowDuplicateFailedOnly', 'RejectDuplicate', 'TerminateIfRunning'];
const ID_CONFLICT = ['Fail', 'UseExisting', 'TerminateExisting'];
const pascalToConstant = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

/** --input (JSON, repeatable) or --input-file (JSON files, repeatable): one payload per argument. */
export function inputPayloads(o: InputFlags): temporal.api.common.v1.IPayloads | undefined {
  const inputs = o.input ?? [];
  const files = o.inputFile ?? [];
  if (inputs.length > 0 && files.length > 0) throw new CliError('--input and --input-file cannot be combined; pass one or the other');
  const values = inputs.map((s) => parseJsonFlag('--input', s));
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read --input-file ${f}: ${(err as Error).message}`);
    }
    values.push(parseJsonFlag(`--input-file ${f}`, text));
  }
  return values.length > 0 ? { payloads: values.map(jsonPayload) } : undefined;
}

const execution = (o: ExecFlags) => ({ workflowId: o.workflowId, runId: o.runId ?? '' });

function addInputOptions(cmd: Command, what = 'argument'): Command {
  return cmd
    .option('-i, --input <json>', `input ${what} as JSON; repeat for several arguments`, collect)
    .option('--input-file <file>', `file holding one JSON ${what}; repeat for several arguments (not with --input)`, collect);
}

function addExecutionOptions(cmd: Command, runHelp = 'run ID (default: the latest run)'): Command {
  return cmd.requiredOption('-w, --workflow-id <id>', 'workflow ID').option('-r, --run-id <id>', runHelp);
}

/** Registers a leaf whose action gets the merged flags and a connected context. */
function action<T extends object>(cmd: Command, fn: (ctx: CliContext, o: T) => Promise<void>): Command {
  return cmd.action(async (_opts: unknown, self: Command) => {
    const o = flagsOf<T>(self);
    await withClient(o, (ctx) => fn(ctx, o));
  });
}

// ---------------------------------------------------------------------------------------------
// history helpers

async function fetchHistory(ctx: CliContext, ex: { workflowId: string; runId: string }): Promise<IHistoryEvent[]> {
  const events: IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await ctx.workflow('getWorkflowExecutionHistory', { namespace: ctx.namespace, execution: ex, maximumPageSize: 1000, nextPageToken });
    events.push(...(res.history?.events ?? []));
    nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** Long-polls for the close event, following continue-as-new to the last run. */
async function waitForClose(ctx: CliContext, workflowId: string, runId: string): Promise<{ event: IHistoryEvent; runId: string }> {
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const res = await ctx.workflow('getWorkflowExecutionHistory', {
      namespace: ctx.namespace,
      execution: { workflowId, runId },
      waitNewEvent: true,
      historyEventFilterType: enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      skipArchival: true,
      nextPageToken,
    });
    const event = res.history?.events?.[0];
    if (event) {
      const can = event.workflowExecutionContinuedAsNewEventAttributes;
      if (can?.newExecutionRunId) {
        runId = can.newExecutionRunId;
        nextPageToken = undefined;
        continue;
      }
      return { event, runId };
    }
    nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
  }
}

const eventTypeName = (t: number | string | null | undefined) => enumShort(String(typeof t === 'string' ? t : (enums.EventType[t ?? 0] ?? t)), 'EVENT_TYPE');

function eventAttributes(e: IHistoryEvent): [string, unknown] | undefined {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k] != null);
  return key ? [key, (e as Record<string, unknown>)[key]] : undefined;
}

const NOISY = new Set([
  'identity',
  'requestId',
  'header',
  'sdkMetadata',
  'meteringMetadata',
  'originalExecutionRunId',
  'firstExecutionRunId',
  'workflowTaskCompletedEventId',
  'scheduledEventId',
  'startedEventId',
  'prevAutoResetPoints',
  'workerVersion',
  'historySizeBytes',
  'suggestContinueAsNew',
  'buildIdRedirectCounter',
  'acceptedRequestSequencingEventId',
]);

/** The event's attributes as JSON (payloads decoded). */
function eventDetailsJson(e: IHistoryEvent): Record<string, unknown> {
  const attrs = eventAttributes(e);
  if (!attrs) return {};
  const typeName = `temporal.api.history.v1.${attrs[0].charAt(0).toUpperCase()}${attrs[0].slice(1)}`;
  return messageToJson(typeName, attrs[1]) as Record<string, unknown>;
}

/** A one-line summary: the interesting attributes as key=value. */
function eventSummary(e: IHistoryEvent, max = 120): string {
  const json = eventDetailsJson(e);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(json)) {
    if (NOISY.has(k)) continue;
    const val =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { name?: unknown }).name === 'string' ? (v as { name: string }).name : v;
    parts.push(`${k}=${k === 'failure' ? JSON.stringify((v as { message?: string }).message ?? v) : textValue(val)}`);
  }
  const s = parts.join(' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function printEvents(ctx: CliContext, events: IHistoryEvent[], detailed = false): void {
  if (detailed) {
    for (const e of events) {
      ctx.out.heading(`Event ${String(e.eventId)} ${eventTypeName(e.eventType)}`);
      ctx.out.fields([['Time', timestampText(e.eventTime)], ...Object.entries(eventDetailsJson(e)).map(([k, v]) => [k, textValue(v)] as const)]);
      ctx.out.line();
    }
    return;
  }
  ctx.out.table(
    ['ID', 'Time', 'Type', 'Details'],
    events.map((e) => [String(e.eventId), timestampText(e.eventTime), eventTypeName(e.eventType), eventSummary(e)]),
  );
}

interface Outcome {
  status: string;
  result?: unknown;
  failure?: temporal.api.failure.v1.IFailure | null;
  reason?: string;
}

function outcomeOf(close: IHistoryEvent): Outcome {
  const status = eventTypeName(close.eventType)
    .replace(/^WorkflowExecution/, '')
    .toUpperCase();
  if (close.workflowExecutionCompletedEventAttributes) {
    const values = payloadsToValues(close.workflowExecutionCompletedEventAttributes.result);
    return { status: 'COMPLETED', result: values.length <= 1 ? (values[0] ?? null) : values };
  }
  if (close.workflowExecutionFailedEventAttributes) return { status: 'FAILED', failure: close.workflowExecutionFailedEventAttributes.failure };
  if (close.workflowExecutionTimedOutEventAttributes) return { status: 'TIMED_OUT' };
  if (close.workflowExecutionTerminatedEventAttributes) return { status: 'TERMINATED', reason: close.workflowExecutionTerminatedEventAttributes.reason ?? '' };
  if (close.workflowExecutionCanceledEventAttributes)
    return { status: 'CANCELED', result: payloadsToValues(close.workflowExecutionCanceledEventAttributes.details)[0] };
  return { status };
}

/** Prints the outcome (text or JSON) and fails the command unless the workflow completed. */
function printOutcome(ctx: CliContext, base: Record<string, unknown>, o: Outcome, extraText: Array<readonly [string, string]> = []): void {
  if (ctx.out.json) {
    ctx.out.printJson({
      ...base,
      status: o.status,
      ...(o.status === 'COMPLETED' ? { result: o.result } : {}),
      ...(o.failure ? { failure: messageToJson('temporal.api.failure.v1.Failure', o.failure) } : {}),
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
    });
  } else {
    ctx.out.heading('Results:');
    const pairs: Array<readonly [string, string]> = [...extraText, ['Status', ctx.out.paint(statusStyle(o.status), o.status)]];
    if (o.status === 'COMPLETED') pairs.push(['Result', JSON.stringify(o.result ?? null)]);
    if (o.failure) pairs.push(['Failure', failureText(o.failure)]);
    if (o.reason !== undefined) pairs.push(['Reason', o.reason]);
    ctx.out.fields(pairs);
  }
  if (o.status !== 'COMPLETED') {
    const why = o.failure ? `: ${o.failure.message ?? ''}` : o.reason ? `: ${o.reason}` : '';
    throw new CliError(`workflow ${String(base.workflowId)} ${o.status === 'FAILED' ? 'failed' : `ended ${o.status}`}${why}`);
  }
}

// ---------------------------------------------------------------------------------------------
// start / execute

interface StartFlags extends InputFlags {
  type?: string;
  name?: string;
  taskQueue: string;
  workflowId?: string;
  executionTimeout?: string;
  runTimeout?: string;
  taskTimeout: string;
  idReusePolicy?: string;
  idConflictPolicy?: string;
  searchAttribute?: string[];
  memo?: string[];
  detailed?: boolean;
}

function addStartOptions(cmd: Command): Command {
  cmd
    .option('--type <name>', 'workflow type name (required)')
    .addOption(new Option('--name <name>', 'alias of --type').hideHelp())
    .requiredOption('-t, --task-queue <name>', 'task queue of the workflow')
    .option('-w, --workflow-id <id>', 'workflow ID (default: a new UUID)')
    .option('--execution-timeout <duration>', 'fail the workflow execution (all runs) if it lasts longer (e.g. 1h)')
    .option('--run-timeout <duration>', 'fail a workflow run if it lasts longer')
    .option('--task-timeout <duration>', 'start-to-close timeout of a workflow task', '10s')
    .addOption(new Option('--id-reuse-policy <policy>', 'reuse policy for the workflow ID').choices(ID_REUSE))
    .addOption(new Option('--id-conflict-policy <policy>', 'what to do when a workflow with this ID is running').choices(ID_CONFLICT))
    .option('--search-attribute <key=json>', 'search attribute as KEY=JSON; repeatable', collect)
    .option('--memo <key=json>', 'memo as KEY=JSON; repeatable', collect);
  return addInputOptions(cmd);
}

async function startWorkflow(ctx: CliContext, o: StartFlags) {
  const type = o.type ?? o.name;
  if (!type) throw new CliError('--type is required: the workflow type to start');
  const workflowId = o.workflowId || randomUUID();
  const input = inputPayloads(o);
  const memo = parseKeyJsonPairs('--memo', o.memo ?? []);
  const sa = parseKeyJsonPairs('--search-attribute', o.searchAttribute ?? []);
  const toPayloads = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, jsonPayload(v)]));
  const res = await ctx.workflow('startWorkflowExecution', {
    namespace: ctx.namespace,
    workflowId,
    workflowType: { name: type },
    taskQueue: { name: o.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input,
    workflowExecutionTimeout: o.executionTimeout ? parseDuration('--execution-timeout', o.executionTimeout) : undefined,
    workflowRunTimeout: o.runTimeout ? parseDuration('--run-timeout', o.runTimeout) : undefined,
    workflowTaskTimeout: parseDuration('--task-timeout', o.taskTimeout),
    identity: ctx.identity,
    requestId: randomUUID(),
    workflowIdReusePolicy: o.idReusePolicy
      ? (enums.WorkflowIdReusePolicy as unknown as Record<string, number>)[`WORKFLOW_ID_REUSE_POLICY_${pascalToConstant(o.idReusePolicy)}`]
      : undefined,
    workflowIdConflictPolicy: o.idConflictPolicy
      ? (enums.WorkflowIdConflictPolicy as unknown as Record<string, number>)[`WORKFLOW_ID_CONFLICT_POLICY_${pascalToConstant(o.idConflictPolicy)}`]
      : undefined,
    memo: Object.keys(memo).length > 0 ? { fields: toPayloads(memo) } : undefined,
    searchAttributes: Object.keys(sa).length > 0 ? { indexedFields: toPayloads(sa) } : undefined,
  });
  const started = { workflowId, runId: res.runId ?? '', type, namespace: ctx.namespace, taskQueue: o.taskQueue };
  return { started, args: input ? payloadsToValues(input) : [] };
}

function printStarted(ctx: CliContext, s: { workflowId: string; runId: string; type: string; namespace: string; taskQueue: string }, args: unknown[]): void {
  ctx.out.heading('Running execution:');
  ctx.out.fields([
    ['WorkflowId', s.workflowId],
    ['RunId', s.runId],
    ['Type', s.type],
    ['Namespace', s.namespace],
    ['TaskQueue', s.taskQueue],
    ['Args', argsText(args)],
  ]);
}

// ---------------------------------------------------------------------------------------------

export function registerWorkflowCommands(program: Command): void {
  const wf = addClientOptions(program.command('workflow').description('start, list, inspect and operate workflow executions'));

  action(addStartOptions(wf.command('start').description('start a workflow execution and print its IDs')), async (ctx, o: StartFlags) => {
    const { started, args } = await startWorkflow(ctx, o);
    if (ctx.out.json) ctx.out.printJson(started);
    else printStarted(ctx, started, args);
  });

  action(
    addStartOptions(
      wf.command('execute').description('start a workflow execution, wait for it to close and print its result (exit 1 unless it completed)'),
    ).option('--detailed', 'print each event of the progress as a section'),
    async (ctx, o: StartFlags) => {
      const t0 = Date.now();
      const { started, args } = await startWorkflow(ctx, o);
      if (!ctx.out.json) printStarted(ctx, started, args);
      const close = await waitForClose(ctx, started.workflowId, started.runId);
      const runTime = `${((Date.now() - t0) / 1000).toFixed(2)}s`;
      if (!ctx.out.json) {
        ctx.out.line();
        ctx.out.heading('Progress:');
        printEvents(ctx, await fetchHistory(ctx, { workflowId: started.workflowId, runId: close.runId }), o.detailed);
        ctx.out.line();
      }
      printOutcome(ctx, { ...started, runId: close.runId, durationMs: Date.now() - t0 }, outcomeOf(close.event), [['RunTime', runTime]]);
    },
  );

  action(
    wf
      .command('list')
      .description('list workflow executions, optionally filtered by a List Filter query')
      .option('-q, --query <query>', "SQL-like List Filter, e.g. \"WorkflowType = 'greet' AND ExecutionStatus = 'Running'\"")
      .option('--limit <n>', 'maximum number of executions to show', positiveInt('--limit'))
      .option('--page-size <n>', 'executions to fetch per request', positiveInt('--page-size'), 100),
    async (ctx, o: { query?: string; limit?: number; pageSize: number }) => {
      const rows: temporal.api.workflow.v1.IWorkflowExecutionInfo[] = [];
      let nextPageToken: Uint8Array | undefined;
      do {
        const res = await ctx.workflow('listWorkflowExecutions', {
          namespace: ctx.namespace,
          pageSize: Math.min(o.pageSize, o.limit ?? o.pageSize),
          nextPageToken,
          query: o.query ?? '',
        });
        rows.push(...(res.executions ?? []));
        nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
      } while (nextPageToken && (o.limit === undefined || rows.length < o.limit));
      const shown = o.limit === undefined ? rows : rows.slice(0, o.limit);
      if (ctx.out.json) return ctx.out.printJson(shown.map((r) => messageToJson('temporal.api.workflow.v1.WorkflowExecutionInfo', r)));
      ctx.out.table(
        ['Status', 'WorkflowId', 'Type', 'StartTime'],
        shown.map((r) => {
          const st = statusName(r.status);
          return [ctx.out.paint(statusStyle(st), st), r.execution?.workflowId ?? '', r.type?.name ?? '', timestampText(r.startTime)];
        }),
      );
    },
  );

  action(
    wf
      .command('count')
      .description('count workflow executions, optionally filtered by a List Filter query')
      .option('-q, --query <query>', 'SQL-like List Filter'),
    async (ctx, o: { query?: string }) => {
      const res = await ctx.workflow('countWorkflowExecutions', { namespace: ctx.namespace, query: o.query ?? '' });
      const count = Number(String(res.count ?? 0));
      const groups = (res.groups ?? []).map((g) => ({ groupValues: payloadsToValues({ payloads: g.groupValues ?? [] }), count: Number(String(g.count ?? 0)) }));
      if (ctx.out.json) return ctx.out.printJson({ count, ...(groups.length > 0 ? { groups } : {}) });
      ctx.out.line(`Total: ${count}`);
      for (const g of groups) ctx.out.line(`  ${g.groupValues.map((v) => textValue(v)).join(', ')}: ${g.count}`);
    },
  );

  action(
    addExecutionOptions(
      wf.command('describe').description('show a workflow execution: status, times, task queue, result or failure, pending activities and children'),
    ).option('--raw', 'print the server response as JSON without reformatting (same as --output json)'),
    async (ctx, o: ExecFlags & { raw?: boolean }) => {
      const res = await ctx.workflow('describeWorkflowExecution', { namespace: ctx.namespace, execution: execution(o) });
      if (ctx.out.json || o.raw) return ctx.out.printJson(messageToJson('temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse', res));
      const info = res.workflowExecutionInfo ?? {};
      const st = statusName(info.status);
      const memo = Object.entries(info.memo?.fields ?? {}).map(([k, v]) => `${k}=${textValue(payloadToValue(v))}`);
      const sa = Object.entries(info.searchAttributes?.indexedFields ?? {}).map(([k, v]) => `${k}=${textValue(payloadToValue(v))}`);
      ctx.out.heading('Execution Info:');
      ctx.out.fields([
        ['WorkflowId', info.execution?.workflowId ?? ''],
        ['RunId', info.execution?.runId ?? ''],
        ['Type', info.type?.name ?? ''],
        ['Namespace', ctx.namespace],
        ['TaskQueue', info.taskQueue ?? res.executionConfig?.taskQueue?.name ?? ''],
        ['Status', ctx.out.paint(statusStyle(st), st)],
        ['StartTime', timestampText(info.startTime)],
        ['ExecutionTime', timestampText(info.executionTime)],
        ['CloseTime', timestampText(info.closeTime)],
        ['HistoryLength', String(info.historyLength ?? '')],
        ['ExecutionTimeout', humanDuration(res.executionConfig?.workflowExecutionTimeout)],
        ['RunTimeout', humanDuration(res.executionConfig?.workflowRunTimeout)],
        ['TaskTimeout', humanDuration(res.executionConfig?.defaultWorkflowTaskTimeout)],
        ...(info.parentExecution?.workflowId ? [['Parent', `${info.parentExecution.workflowId} ${info.parentExecution.runId ?? ''}`] as const] : []),
        ...(res.workflowExtendedInfo?.resetRunId ? [['ResetRunId', res.workflowExtendedInfo.resetRunId] as const] : []),
        ...(memo.length > 0 ? [['Memo', memo.join('\n')] as const] : []),
        ...(sa.length > 0 ? [['SearchAttributes', sa.join('\n')] as const] : []),
      ]);
      if (st !== 'RUNNING' && info.execution?.runId) {
        const events = await ctx.workflow('getWorkflowExecutionHistory', {
          namespace: ctx.namespace,
          execution: { workflowId: info.execution.workflowId, runId: info.execution.runId },
          historyEventFilterType: enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        });
        const close = events.history?.events?.[0];
        if (close) {
          const out = outcomeOf(close);
          ctx.out.heading('Results:');
          ctx.out.fields([
            ['Status', out.status],
            ...(out.status === 'COMPLETED' ? [['Result', JSON.stringify(out.result ?? null)] as const] : []),
            ...(out.failure ? [['Failure', failureText(out.failure)] as const] : []),
            ...(out.reason !== undefined ? [['Reason', out.reason] as const] : []),
          ]);
        }
      }
      const acts = res.pendingActivities ?? [];
      ctx.out.heading(`Pending Activities: ${acts.length}`);
      if (acts.length > 0) {
        ctx.out.table(
          ['ActivityId', 'Type', 'State', 'Attempt', 'LastHeartbeat', 'LastFailure'],
          acts.map((a) => [
            a.activityId ?? '',
            a.activityType?.name ?? '',
            enumShort(String(enums.PendingActivityState[a.state ?? 0] ?? a.state), 'PENDING_ACTIVITY_STATE'),
            String(a.attempt ?? ''),
            timestampText(a.lastHeartbeatTime),
            a.lastFailure?.message ?? '',
          ]),
        );
      }
      const children = res.pendingChildren ?? [];
      ctx.out.heading(`Pending Child Workflows: ${children.length}`);
      if (children.length > 0)
        ctx.out.table(
          ['WorkflowId', 'RunId', 'Type'],
          children.map((c) => [c.workflowId ?? '', c.runId ?? '', c.workflowTypeName ?? '']),
        );
    },
  );

  action(
    addExecutionOptions(wf.command('show').description('show the event history (--output json: the history JSON an SDK can replay)')).option(
      '--detailed',
      'print each event as a section with all its attributes',
    ),
    async (ctx, o: ExecFlags & { detailed?: boolean }) => {
      const events = await fetchHistory(ctx, execution(o));
      // The JSON of Temporal's history files (what `temporal workflow show -o json` prints and SDK
      // replayers load). Not @temporalio/common's historyToJSON: it breaks when npm installs two
      // copies of protobufjs, as it does here.
      if (ctx.out.json) return ctx.out.printJson(messageToJson('temporal.api.history.v1.History', { events }, { rawPayloads: true }));
      printEvents(ctx, events, o.detailed);
    },
  );

  action(
    addExecutionOptions(wf.command('result').description('wait for a workflow execution to close and print its result (exit 1 unless it completed)')),
    async (ctx, o: ExecFlags) => {
      const close = await waitForClose(ctx, o.workflowId, o.runId ?? '');
      printOutcome(ctx, { workflowId: o.workflowId, runId: close.runId }, outcomeOf(close.event));
    },
  );

  action(
    addInputOptions(
      addExecutionOptions(wf.command('signal').description('send a signal to a running workflow execution'))
        .option('--name <name>', 'signal name (required)')
        .addOption(new Option('--type <name>', 'alias of --name').hideHelp()),
      'signal argument',
    ),
    async (ctx, o: ExecFlags & InputFlags & { name?: string; type?: string }) => {
      const name = o.name ?? o.type;
      if (!name) throw new CliError('--name is required: the signal to send');
      await ctx.workflow('signalWorkflowExecution', {
        namespace: ctx.namespace,
        workflowExecution: execution(o),
        signalName: name,
        input: inputPayloads(o),
        identity: ctx.identity,
        requestId: randomUUID(),
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, runId: o.runId ?? '', signal: name });
      else ctx.out.line('Signal workflow succeeded');
    },
  );

  const rejectCondition = new Option('--reject-condition <condition>', 'reject the query when the workflow is not open, or did not complete cleanly').choices([
    'not_open',
    'not_completed_cleanly',
  ]);
  const runQuery = async (ctx: CliContext, o: ExecFlags & InputFlags & { rejectCondition?: string }, queryType: string) => {
    const res = await ctx.workflow('queryWorkflow', {
      namespace: ctx.namespace,
      execution: execution(o),
      query: { queryType, queryArgs: inputPayloads(o) },
      queryRejectCondition: o.rejectCondition
        ? (enums.QueryRejectCondition as unknown as Record<string, number>)[`QUERY_REJECT_CONDITION_${o.rejectCondition.toUpperCase()}`]
        : undefined,
    });
    if (res.queryRejected) {
      throw new CliError(`query ${queryType} rejected: the workflow is ${statusName(res.queryRejected.status)}`);
    }
    return payloadsToValues(res.queryResult);
  };

  action(
    addInputOptions(
      addExecutionOptions(wf.command('query').description('query a workflow execution (`--name __stack_trace` gives its call stack)'))
        .option('--name <name>', 'query type (required)')
        .addOption(new Option('--type <name>', 'alias of --name').hideHelp())
        .addOption(rejectCondition),
      'query argument',
    ),
    async (ctx, o: ExecFlags & InputFlags & { name?: string; type?: string; rejectCondition?: string }) => {
      const name = o.name ?? o.type;
      if (!name) throw new CliError('--name (or --type) is required: the query to send');
      const values = await runQuery(ctx, o, name);
      const result = values.length <= 1 ? (values[0] ?? null) : values;
      if (ctx.out.json) return ctx.out.printJson({ queryResult: result });
      ctx.out.heading('Query result:');
      // A string (such as a stack trace) prints as it is, with its newlines.
      ctx.out.line(typeof result === 'string' ? result : JSON.stringify(result, null, 2));
    },
  );

  action(
    addExecutionOptions(wf.command('stack').description('print the call stack of a workflow execution (the __stack_trace query)')).addOption(rejectCondition),
    async (ctx, o: ExecFlags & { rejectCondition?: string }) => {
      const [trace] = await runQuery(ctx, o, '__stack_trace');
      if (ctx.out.json) return ctx.out.printJson({ stackTrace: trace ?? null });
      ctx.out.line(typeof trace === 'string' ? trace : JSON.stringify(trace));
    },
  );

  registerUpdateCommands(wf);

  action(
    addExecutionOptions(wf.command('cancel').description('request cancellation of a workflow execution')).option(
      '--reason <reason>',
      'reason for the cancellation',
    ),
    async (ctx, o: ExecFlags & { reason?: string }) => {
      await ctx.workflow('requestCancelWorkflowExecution', {
        namespace: ctx.namespace,
        workflowExecution: execution(o),
        identity: ctx.identity,
        requestId: randomUUID(),
        reason: o.reason ?? '',
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, runId: o.runId ?? '', cancelRequested: true });
      else ctx.out.line('Cancellation requested');
    },
  );

  action(
    addExecutionOptions(wf.command('terminate').description('terminate a workflow execution (its code cannot react; use cancel for clean-up)')).option(
      '--reason <reason>',
      'reason for the termination (default: who terminated it)',
    ),
    async (ctx, o: ExecFlags & { reason?: string }) => {
      const reason = o.reason ?? `Requested from temporal-ts CLI by ${ctx.identity}`;
      await ctx.workflow('terminateWorkflowExecution', { namespace: ctx.namespace, workflowExecution: execution(o), reason, identity: ctx.identity });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, runId: o.runId ?? '', terminated: true, reason });
      else ctx.out.line('Workflow terminated');
    },
  );
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} "${v}" must be a whole number of at least 1`);
    return n;
  };
}

// ---------------------------------------------------------------------------------------------
// update

interface UpdateFlags extends ExecFlags, InputFlags {
  name?: string;
  type?: string;
  updateId?: string;
  firstExecutionRunId?: string;
}

function registerUpdateCommands(wf: Command): void {
  const update = wf.command('update').description('send updates to a workflow execution and wait for them');
  const Stage = enums.UpdateWorkflowExecutionLifecycleStage;

  const updateOptions = (cmd: Command) =>
    addInputOptions(
      addExecutionOptions(cmd, 'run ID (default: the running execution)')
        .option('--name <name>', 'update handler name (required)')
        .addOption(new Option('--type <name>', 'alias of --name').hideHelp())
        .option('--update-id <id>', 'update ID (default: a new UUID); reuse one to wait for an existing update')
        .option('--first-execution-run-id <id>', 'send to the latest run of the chain started with this run ID'),
      'update argument',
    );

  const send = async (ctx: CliContext, o: UpdateFlags, stage: number) => {
    const name = o.name ?? o.type;
    if (!name) throw new CliError('--name is required: the update handler to call');
    const updateId = o.updateId || randomUUID();
    const req = {
      namespace: ctx.namespace,
      workflowExecution: execution(o),
      firstExecutionRunId: o.firstExecutionRunId ?? '',
      waitPolicy: { lifecycleStage: stage },
      request: { meta: { updateId, identity: ctx.identity }, input: { name, args: inputPayloads(o) } },
    };
    // The server may answer before the stage is reached (its long poll ran out): ask again.
    for (;;) {
      const res = await ctx.workflow('updateWorkflowExecution', req);
      if (res.outcome || (res.stage ?? 0) >= stage) return { name, updateId, res };
    }
  };

  action(
    updateOptions(update.command('execute').description('send an update and wait for its result (exit 1 if the update fails)')),
    async (ctx, o: UpdateFlags) => {
      const { name, updateId, res } = await send(ctx, o, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
      const failure = res.outcome?.failure;
      const values = payloadsToValues(res.outcome?.success);
      const result = values.length <= 1 ? (values[0] ?? null) : values;
      if (ctx.out.json)
        ctx.out.printJson({ name, updateId, ...(failure ? { failure: messageToJson('temporal.api.failure.v1.Failure', failure) } : { result }) });
      else {
        ctx.out.heading('Update result:');
        ctx.out.fields([['Name', name], ['UpdateId', updateId], failure ? ['Failure', failureText(failure)] : ['Result', JSON.stringify(result)]]);
      }
      if (failure) throw new CliError(`update ${name} failed: ${failure.message ?? ''}`);
    },
  );

  action(
    updateOptions(update.command('start').description('send an update and wait until it is accepted or rejected')).addOption(
      new Option('--wait-for-stage <stage>', 'stage to wait for (only "accepted")').choices(['accepted']).makeOptionMandatory(),
    ),
    async (ctx, o: UpdateFlags) => {
      const { name, updateId, res } = await send(ctx, o, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
      const failure = res.outcome?.failure;
      if (ctx.out.json)
        ctx.out.printJson({ name, updateId, ...(failure ? { rejected: messageToJson('temporal.api.failure.v1.Failure', failure) } : { accepted: true }) });
      else
        ctx.out.fields([
          ['Name', name],
          ['UpdateId', updateId],
          ['Stage', failure ? 'rejected' : 'accepted'],
        ]);
      if (failure) throw new CliError(`update ${name} was rejected: ${failure.message ?? ''}`);
    },
  );
}
