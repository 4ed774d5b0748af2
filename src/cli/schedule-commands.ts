/**
 * `temporal-ts schedule …`: create, describe, list, update, toggle, trigger, backfill, delete and
 * list-matching-times, with the flags of Temporal's `temporal schedule` commands. Each command first
 * builds its WorkflowService request from the flags (pure functions, exported for the tests; a bad
 * flag is a CliError before anything is sent), then sends it.
 * Not supported (said in --help): --headers, --input-meta, --input-base64, fairness keys.
 */
import { type Command, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../common/errors';
import { temporal, type google } from '../common/proto';
import { CompiledSpec } from '../scheduler/spec';
import { addClientOptions, collect, flagsOf, withClient, type CliContext, type GlobalFlags } from './client-context';
import { CliError, textValue, type Printer } from './output';
import {
  humanDuration,
  jsonPayload,
  messageToJson,
  parseDuration,
  parseJsonFlag,
  parseKeyJsonPairs,
  payloadToValue,
  timestampText,
  toNumber,
} from './proto-json';
import { inputPayloads } from './workflow-commands';

import enums = temporal.api.enums.v1;
import ws = temporal.api.workflowservice.v1;
type ISchedule = temporal.api.schedule.v1.ISchedule;
type IScheduleSpec = temporal.api.schedule.v1.IScheduleSpec;

export const OVERLAP_POLICIES = ['Skip', 'BufferOne', 'BufferAll', 'CancelOther', 'TerminateOther', 'AllowAll'] as const;
const pascalToConstant = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

/** Skip -> SCHEDULE_OVERLAP_POLICY_SKIP (the enum number). */
export function overlapPolicy(name: string): enums.ScheduleOverlapPolicy {
  const v = (enums.ScheduleOverlapPolicy as unknown as Record<string, number>)[`SCHEDULE_OVERLAP_POLICY_${pascalToConstant(name)}`];
  if (v === undefined || v === 0) throw new CliError(`--overlap-policy "${name}" is not one of ${OVERLAP_POLICIES.join(', ')}`);
  return v;
}

/** RFC 3339 times (2024-01-01T00:00:00Z, with an offset or fractional seconds) to a Timestamp. */
export function parseTimestamp(flag: string, text: string): google.protobuf.ITimestamp {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text.trim());
  const ms = ok ? Date.parse(text.trim()) : NaN;
  if (Number.isNaN(ms)) throw new CliError(`${flag} "${text}" is not an RFC 3339 time (for example 2024-01-01T00:00:00Z or 2024-01-01T09:00:00+02:00)`);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } as unknown as google.protobuf.ITimestamp;
}

const CALENDAR_FIELDS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek', 'comment'] as const;
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** --calendar JSON (`{"dayOfWeek":"Fri","hour":"17","minute":"5"}`; snake_case keys too) to a CalendarSpec. */
export function parseCalendarFlag(text: string): temporal.api.schedule.v1.ICalendarSpec {
  const v = parseJsonFlag('--calendar', text);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CliError(`--calendar must be a JSON object such as {"dayOfWeek":"Fri","hour":"17","minute":"5"}, got ${text}`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const k = camel(key);
    if (!(CALENDAR_FIELDS as readonly string[]).includes(k))
      throw new CliError(`--calendar has an unknown field "${key}" (fields: ${CALENDAR_FIELDS.join(', ')})`);
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new CliError(`--calendar field "${key}" must be a string such as "1-5" or "*", got ${JSON.stringify(value)}`);
    out[k] = String(value);
  }
  return out;
}

/** --interval "90m" or "60m/15m" (every 60 minutes, 15 minutes past) to an IntervalSpec. */
export function parseIntervalFlag(text: string): temporal.api.schedule.v1.IIntervalSpec {
  const parts = text.split('/');
  if (parts.length > 2) throw new CliError(`--interval "${text}" must be <duration> or <duration>/<phase>, e.g. 90m or 6h/5h`);
  const interval = parseDuration('--interval', parts[0]!);
  if (toNumber(interval.seconds as never) < 1) throw new CliError(`--interval "${text}": the interval must be at least 1s`);
  return parts[1] !== undefined ? { interval, phase: parseDuration('--interval phase', parts[1]) } : { interval };
}

// ---------------------------------------------------------------------------------------------
// flags -> requests

export interface ScheduleConfigFlags {
  calendar?: string[];
  catchupWindow?: string;
  cron?: string[];
  endTime?: string;
  interval?: string[];
  jitter?: string;
  notes?: string;
  paused?: boolean;
  pauseOnFailure?: boolean;
  remainingActions?: number;
  startTime?: string;
  timeZone?: string;
  overlapPolicy: string;
}

export interface WorkflowActionFlags {
  workflowId?: string;
  type?: string;
  name?: string;
  taskQueue: string;
  runTimeout?: string;
  executionTimeout?: string;
  taskTimeout: string;
  searchAttribute?: string[];
  memo?: string[];
  staticSummary?: string;
  staticDetails?: string;
  priorityKey?: number;
  input?: string[];
  inputFile?: string[];
}

export interface CreateFlags extends ScheduleConfigFlags, WorkflowActionFlags {
  scheduleId: string;
  scheduleSearchAttribute?: string[];
  scheduleMemo?: string[];
}

const toPayloadMap = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, jsonPayload(v)]));

/** The spec from --cron, --calendar, --interval, --start-time, --end-time, --jitter, --time-zone. */
export function buildSpec(o: ScheduleConfigFlags): IScheduleSpec {
  const spec: IScheduleSpec = {
    cronString: o.cron ?? [],
    calendar: (o.calendar ?? []).map(parseCalendarFlag),
    interval: (o.interval ?? []).map(parseIntervalFlag),
  };
  if (spec.cronString!.length + spec.calendar!.length + spec.interval!.length === 0) {
    throw new CliError('the schedule needs at least one of --cron, --calendar or --interval (for example --interval 1h or --cron "30 12 * * Fri")');
  }
  if (o.startTime) spec.startTime = parseTimestamp('--start-time', o.startTime);
  if (o.endTime) spec.endTime = parseTimestamp('--end-time', o.endTime);
  if (spec.startTime && spec.endTime && toNumber(spec.endTime.seconds as never) < toNumber(spec.startTime.seconds as never)) {
    throw new CliError(`--end-time ${o.endTime} is before --start-time ${o.startTime}`);
  }
  if (o.jitter) spec.jitter = parseDuration('--jitter', o.jitter);
  if (o.timeZone) spec.timezoneName = o.timeZone;
  checkSpec(spec, o);
  return spec;
}

/**
 * The server's own spec rules, applied before sending so that a bad --cron, --calendar or
 * --time-zone is named at once (the same code canonicalizes the spec on the server).
 */
function checkSpec(spec: IScheduleSpec, o: ScheduleConfigFlags): void {
  try {
    CompiledSpec.compile(spec);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    const detail = err.message.slice(err.field.length + 2);
    const m = /^schedule\.spec\.(cron_string|calendar|interval)\[(\d+)\]/.exec(err.field);
    if (m) {
      const flag = m[1] === 'cron_string' ? '--cron' : m[1] === 'calendar' ? '--calendar' : '--interval';
      const field = err.field.slice(m[0].length).replace(/^\./, '');
      throw new CliError(`${flag}${field ? ` ${field}` : ''}: ${detail}`);
    }
    if (err.field.endsWith('timezone_name')) throw new CliError(`${o.timeZone ? '--time-zone' : '--cron CRON_TZ'}: ${detail}`);
    throw new CliError(`${err.field}: ${detail}`);
  }
}

/** The start-workflow action from the shared workflow-start flags and the input flags. */
export function buildAction(o: WorkflowActionFlags): temporal.api.workflow.v1.INewWorkflowExecutionInfo {
  const type = o.type ?? o.name;
  if (!type) throw new CliError('--type is required: the workflow type the schedule starts');
  const memo = parseKeyJsonPairs('--memo', o.memo ?? []);
  const sa = parseKeyJsonPairs('--search-attribute', o.searchAttribute ?? []);
  if (o.priorityKey !== undefined && !(Number.isInteger(o.priorityKey) && o.priorityKey >= 1 && o.priorityKey <= 5)) {
    throw new CliError(`--priority-key ${o.priorityKey} must be a whole number from 1 to 5`);
  }
  const summary = o.staticSummary !== undefined ? { summary: jsonPayload(o.staticSummary) } : {};
  const details = o.staticDetails !== undefined ? { details: jsonPayload(o.staticDetails) } : {};
  return {
    // Temporal's SDKs give the runs a new UUID as base id when none is given
    workflowId: o.workflowId || randomUUID(),
    workflowType: { name: type },
    taskQueue: { name: o.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: inputPayloads(o),
    workflowExecutionTimeout: o.executionTimeout ? parseDuration('--execution-timeout', o.executionTimeout) : undefined,
    workflowRunTimeout: o.runTimeout ? parseDuration('--run-timeout', o.runTimeout) : undefined,
    workflowTaskTimeout: parseDuration('--task-timeout', o.taskTimeout),
    memo: Object.keys(memo).length > 0 ? { fields: toPayloadMap(memo) } : undefined,
    searchAttributes: Object.keys(sa).length > 0 ? { indexedFields: toPayloadMap(sa) } : undefined,
    userMetadata: o.staticSummary !== undefined || o.staticDetails !== undefined ? { ...summary, ...details } : undefined,
    priority: o.priorityKey !== undefined ? { priorityKey: o.priorityKey } : undefined,
  };
}

/** The whole Schedule (create and update replace it all, as `temporal schedule update` does). */
export function buildSchedule(o: ScheduleConfigFlags & WorkflowActionFlags): ISchedule {
  const remaining = o.remainingActions ?? 0;
  if (!Number.isInteger(remaining) || remaining < 0) throw new CliError(`--remaining-actions ${remaining} must be a whole number of at least 0 (0: unlimited)`);
  return {
    spec: buildSpec(o),
    action: { startWorkflow: buildAction(o) },
    policies: {
      overlapPolicy: overlapPolicy(o.overlapPolicy),
      catchupWindow: o.catchupWindow ? parseDuration('--catchup-window', o.catchupWindow) : undefined,
      pauseOnFailure: Boolean(o.pauseOnFailure),
    },
    state: { notes: o.notes ?? '', paused: Boolean(o.paused), limitedActions: remaining > 0, remainingActions: remaining as never },
  };
}

export function buildCreateRequest(o: CreateFlags, namespace: string, identity: string, requestId: string): ws.ICreateScheduleRequest {
  const memo = parseKeyJsonPairs('--schedule-memo', o.scheduleMemo ?? []);
  const sa = parseKeyJsonPairs('--schedule-search-attribute', o.scheduleSearchAttribute ?? []);
  return {
    namespace,
    scheduleId: o.scheduleId,
    schedule: buildSchedule(o),
    identity,
    requestId,
    memo: Object.keys(memo).length > 0 ? { fields: toPayloadMap(memo) } : undefined,
    searchAttributes: Object.keys(sa).length > 0 ? { indexedFields: toPayloadMap(sa) } : undefined,
  };
}

export function buildUpdateRequest(
  o: ScheduleConfigFlags & WorkflowActionFlags & { scheduleId: string },
  namespace: string,
  identity: string,
  requestId: string,
  conflictToken: Uint8Array | undefined,
): ws.IUpdateScheduleRequest {
  return { namespace, scheduleId: o.scheduleId, schedule: buildSchedule(o), conflictToken, identity, requestId };
}

export function buildTogglePatch(o: { pause?: boolean; unpause?: boolean; reason: string }): temporal.api.schedule.v1.ISchedulePatch {
  if (Boolean(o.pause) === Boolean(o.unpause)) throw new CliError('exactly one of --pause or --unpause is required');
  return o.pause ? { pause: o.reason } : { unpause: o.reason };
}

export function buildBackfillPatch(o: { startTime: string; endTime: string; overlapPolicy: string }): temporal.api.schedule.v1.ISchedulePatch {
  const startTime = parseTimestamp('--start-time', o.startTime);
  const endTime = parseTimestamp('--end-time', o.endTime);
  if (toNumber(endTime.seconds as never) < toNumber(startTime.seconds as never))
    throw new CliError(`--end-time ${o.endTime} is before --start-time ${o.startTime}`);
  return { backfillRequest: [{ startTime, endTime, overlapPolicy: overlapPolicy(o.overlapPolicy) }] };
}

// ---------------------------------------------------------------------------------------------
// output

function rangesText(rs: temporal.api.schedule.v1.IRange[] | null | undefined): string {
  return (rs ?? [])
    .map((r) => {
      const start = r.start ?? 0;
      const end = r.end ?? 0;
      const step = r.step ?? 0;
      return `${start}${end > start ? `-${end}` : ''}${step > 1 ? `/${step}` : ''}`;
    })
    .join(',');
}

/** A structured calendar as CalendarSpec strings, as `temporal schedule describe` prints it. */
export function calendarText(c: temporal.api.schedule.v1.IStructuredCalendarSpec): string {
  const fields: Record<string, string> = {
    second: rangesText(c.second),
    minute: rangesText(c.minute),
    hour: rangesText(c.hour),
    dayOfMonth: rangesText(c.dayOfMonth),
    month: rangesText(c.month),
    year: rangesText(c.year) || '*',
    dayOfWeek: rangesText(c.dayOfWeek),
  };
  if (c.comment) fields.comment = c.comment;
  return JSON.stringify(fields);
}

function specLines(spec: IScheduleSpec | null | undefined): string {
  const lines = [
    ...(spec?.structuredCalendar ?? []).map(calendarText),
    ...(spec?.interval ?? []).map(
      (iv) => `every ${humanDuration(iv.interval)}${iv.phase && humanDuration(iv.phase) ? ` offset ${humanDuration(iv.phase)}` : ''}`,
    ),
    ...(spec?.cronString ?? []),
  ];
  return lines.join('\n');
}

const policyName = (p: number | string | null | undefined) => {
  const name = typeof p === 'string' ? p : (enums.ScheduleOverlapPolicy[p ?? 0] ?? String(p));
  return String(name)
    .replace(/^SCHEDULE_OVERLAP_POLICY_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
};

function mapText(fields: Record<string, temporal.api.common.v1.IPayload> | null | undefined): string {
  return Object.entries(fields ?? {})
    .map(([k, v]) => `${k}=${textValue(payloadToValue(v))}`)
    .join('\n');
}

/** `schedule describe` in text: Temporal's fields, one per line. */
export function printDescribe(out: Printer, scheduleId: string, res: ws.IDescribeScheduleResponse): void {
  const s = res.schedule ?? {};
  const info = res.info ?? {};
  const wf = s.action?.startWorkflow;
  const recent = info.recentActions ?? [];
  out.heading('Schedule:');
  out.fields([
    ['ScheduleId', scheduleId],
    ['Action', wf ? `start workflow ${wf.workflowType?.name ?? ''} (id ${wf.workflowId ?? ''}, task queue ${wf.taskQueue?.name ?? ''})` : ''],
    ['Spec', specLines(s.spec)],
    ...(s.spec?.excludeStructuredCalendar?.length ? [['SkipSpec', s.spec.excludeStructuredCalendar.map(calendarText).join('\n')] as const] : []),
    ...(s.spec?.startTime ? [['StartAt', timestampText(s.spec.startTime)] as const] : []),
    ...(s.spec?.endTime ? [['EndAt', timestampText(s.spec.endTime)] as const] : []),
    ...(s.spec?.jitter && humanDuration(s.spec.jitter) ? [['Jitter', humanDuration(s.spec.jitter)] as const] : []),
    ...(s.spec?.timezoneName ? [['TimeZoneName', s.spec.timezoneName] as const] : []),
    ['OverlapPolicy', policyName(s.policies?.overlapPolicy)],
    ['CatchupWindow', humanDuration(s.policies?.catchupWindow)],
    ['PauseOnFailure', String(Boolean(s.policies?.pauseOnFailure))],
    ...(s.state?.notes ? [['Notes', s.state.notes] as const] : []),
    ['Paused', String(Boolean(s.state?.paused))],
    ...(s.state?.limitedActions ? [['RemainingActions', String(toNumber(s.state.remainingActions as never))] as const] : []),
    ['NextRunTime', timestampText(info.futureActionTimes?.[0])],
    ['LastRunTime', timestampText(recent.at(-1)?.scheduleTime)],
    ['RunningWorkflows', (info.runningWorkflows ?? []).map((w) => w.workflowId ?? '').join('\n')],
    ['CreatedAt', timestampText(info.createTime)],
    ...(info.updateTime ? [['LastUpdateAt', timestampText(info.updateTime)] as const] : []),
    [
      'ActionCounts',
      `Total ${toNumber(info.actionCount as never)}, MissedCatchupWindow ${toNumber(info.missedCatchupWindow as never)}, SkippedOverlap ${toNumber(info.overlapSkipped as never)}`,
    ],
    ...(res.searchAttributes?.indexedFields && Object.keys(res.searchAttributes.indexedFields).length > 0
      ? [['SearchAttributes', mapText(res.searchAttributes.indexedFields)] as const]
      : []),
    ...(res.memo?.fields && Object.keys(res.memo.fields).length > 0 ? [['Memo', mapText(res.memo.fields)] as const] : []),
  ]);
}

// ---------------------------------------------------------------------------------------------
// commands

function addScheduleId(cmd: Command): Command {
  return cmd.requiredOption('-s, --schedule-id <id>', 'schedule ID');
}

function addOverlap(cmd: Command): Command {
  return cmd.addOption(new Option('--overlap-policy <policy>', 'policy for overlapping workflow executions').choices(OVERLAP_POLICIES).default('Skip'));
}

function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--calendar <json>', 'calendar spec in JSON, e.g. \'{"dayOfWeek":"Fri","hour":"17","minute":"5"}\'; repeatable', collect)
    .option('--catchup-window <duration>', 'how long after a missed time (server unavailable) it may still run (default 1 year, minimum 10s)')
    .option('--cron <string>', 'cron string, e.g. "30 12 * * Fri", "@daily", "@every 90m", "CRON_TZ=Europe/Berlin 0 9 * * *"; repeatable', collect)
    .option('--end-time <time>', 'no runs after this RFC 3339 time')
    .option('--interval <duration>', 'interval, e.g. 90m, or 60m/15m for every hour at quarter past; repeatable', collect)
    .option('--jitter <duration>', 'delay each run by a random amount up to this (stable per time)')
    .option('--notes <text>', 'initial notes')
    .option('--paused', 'create the schedule paused')
    .option('--pause-on-failure', 'pause the schedule when a run fails or times out')
    .option('--remaining-actions <n>', 'total runs allowed (0: unlimited)', (v) => integerFlag('--remaining-actions', v))
    .option('--start-time <time>', 'no runs before this RFC 3339 time')
    .option('--time-zone <zone>', 'IANA time zone of calendar and cron specs, e.g. America/New_York (default UTC)');
}

function addWorkflowOptions(cmd: Command): Command {
  return cmd
    .option('-w, --workflow-id <id>', 'base workflow ID of the runs; each run appends its time (default: a new UUID)')
    .option('--type <name>', 'workflow type name (required)')
    .addOption(new Option('--name <name>', 'alias of --type').hideHelp())
    .requiredOption('-t, --task-queue <name>', 'task queue of the runs')
    .option('--run-timeout <duration>', 'fail a workflow run if it lasts longer')
    .option('--execution-timeout <duration>', 'fail a workflow execution (all runs) if it lasts longer')
    .option('--task-timeout <duration>', 'start-to-close timeout of a workflow task', '10s')
    .option('--search-attribute <key=json>', 'search attribute of the runs as KEY=JSON, e.g. \'Env="prod"\'; repeatable', collect)
    .option('--memo <key=json>', 'memo of the runs as KEY=JSON; repeatable', collect)
    .option('--static-summary <text>', 'static summary of the runs for UIs')
    .option('--static-details <text>', 'static details of the runs for UIs')
    .option('--priority-key <n>', 'priority key of the runs (1-5, lower is higher)', (v) => integerFlag('--priority-key', v))
    .option('-i, --input <json>', 'input argument as JSON; repeat for several arguments', collect)
    .option('--input-file <file>', 'file holding one JSON argument; repeatable (not with --input)', collect);
}

function integerFlag(flag: string, v: string): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new CliError(`${flag} "${v}" is not a whole number`);
  return n;
}

/** A leaf whose request is built from the flags before connecting (bad flags never reach the server). */
function leaf<T extends object, R>(
  cmd: Command,
  build: (o: GlobalFlags & T) => R,
  send: (ctx: CliContext, req: R, o: GlobalFlags & T) => Promise<void>,
): Command {
  return cmd.action(async (_opts: unknown, self: Command) => {
    const o = flagsOf<T>(self);
    const req = build(o);
    await withClient(o, (ctx) => send(ctx, req, o));
  });
}

const done = (ctx: CliContext, text: string, json: Record<string, unknown>) => (ctx.out.json ? ctx.out.printJson(json) : ctx.out.line(text));

export function registerScheduleCommands(program: Command): void {
  const sched = addClientOptions(program.command('schedule').description('create, inspect and operate schedules (workflows started at set times)'));

  leaf(
    addWorkflowOptions(
      addOverlap(
        addConfigOptions(addScheduleId(sched.command('create').description('create a schedule that starts workflow executions at the times of its spec')))
          .option('--schedule-search-attribute <key=json>', 'search attribute of the schedule itself as KEY=JSON; repeatable', collect)
          .option('--schedule-memo <key=json>', 'memo of the schedule itself as KEY=JSON; repeatable', collect),
      ),
    ),
    (o: GlobalFlags & CreateFlags) => buildCreateRequest(o, o.namespace, '', randomUUID()),
    async (ctx, req, o) => {
      await ctx.workflow('createSchedule', { ...req, identity: ctx.identity });
      done(ctx, 'Schedule created', { scheduleId: o.scheduleId, created: true });
    },
  );

  leaf(
    addScheduleId(sched.command('describe').description('show a schedule: spec, policies, state, running and recent runs, next times')),
    (o: GlobalFlags & { scheduleId: string }): ws.IDescribeScheduleRequest => ({ namespace: o.namespace, scheduleId: o.scheduleId }),
    async (ctx, req, o) => {
      const res = await ctx.workflow('describeSchedule', req);
      if (ctx.out.json) return ctx.out.printJson(messageToJson('temporal.api.workflowservice.v1.DescribeScheduleResponse', res, { rawPayloads: true }));
      printDescribe(ctx.out, o.scheduleId, res);
    },
  );

  leaf(
    sched
      .command('list')
      .description('list the schedules of a namespace')
      .option('-l, --long', 'show the spec and notes too')
      .option('--really-long', 'show everything of each schedule')
      .option('-q, --query <query>', 'List Filter query over the schedules, e.g. "TemporalSchedulePaused = true"'),
    (o: GlobalFlags & { query?: string; long?: boolean; reallyLong?: boolean }): ws.IListSchedulesRequest => ({
      namespace: o.namespace,
      maximumPageSize: 100,
      query: o.query ?? '',
    }),
    async (ctx, req, o) => {
      const entries: temporal.api.schedule.v1.IScheduleListEntry[] = [];
      let nextPageToken: Uint8Array | undefined;
      do {
        const res = await ctx.workflow('listSchedules', { ...req, nextPageToken });
        entries.push(...(res.schedules ?? []));
        nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
      } while (nextPageToken);
      if (ctx.out.json) return ctx.out.printJson(entries.map((e) => messageToJson('temporal.api.schedule.v1.ScheduleListEntry', e, { rawPayloads: true })));
      const long = o.long || o.reallyLong;
      const columns = ['ScheduleId', 'WorkflowType', 'Paused', ...(long ? ['Notes', 'Spec'] : []), 'NextRunTime', 'LastRunTime'];
      ctx.out.table(
        columns,
        entries.map((e) => [
          e.scheduleId ?? '',
          e.info?.workflowType?.name ?? '',
          String(Boolean(e.info?.paused)),
          ...(long ? [e.info?.notes ?? '', specLines(e.info?.spec).replace(/\n/g, ' ')] : []),
          timestampText(e.info?.futureActionTimes?.[0]),
          timestampText(e.info?.recentActions?.at(-1)?.scheduleTime),
        ]),
      );
    },
  );

  leaf(
    addWorkflowOptions(
      addOverlap(addConfigOptions(addScheduleId(sched.command('update').description('replace a schedule: every option not given returns to its default')))),
    ),
    (o: GlobalFlags & ScheduleConfigFlags & WorkflowActionFlags & { scheduleId: string }) => buildUpdateRequest(o, o.namespace, '', randomUUID(), undefined),
    async (ctx, req, o) => {
      // the conflict token makes the replacement fail rather than overwrite a change made meanwhile
      const current = await ctx.workflow('describeSchedule', { namespace: ctx.namespace, scheduleId: o.scheduleId });
      await ctx.workflow('updateSchedule', { ...req, identity: ctx.identity, conflictToken: current.conflictToken });
      done(ctx, 'Schedule updated', { scheduleId: o.scheduleId, updated: true });
    },
  );

  leaf(
    addScheduleId(sched.command('toggle').description('pause or unpause a schedule'))
      .option('--pause', 'pause the schedule')
      .option('--unpause', 'unpause the schedule')
      .option('--reason <text>', 'reason, kept in the schedule notes', '(no reason provided)'),
    (o: GlobalFlags & { scheduleId: string; pause?: boolean; unpause?: boolean; reason: string }): ws.IPatchScheduleRequest => ({
      namespace: o.namespace,
      scheduleId: o.scheduleId,
      patch: buildTogglePatch(o),
      requestId: randomUUID(),
    }),
    async (ctx, req, o) => {
      await ctx.workflow('patchSchedule', { ...req, identity: ctx.identity });
      done(ctx, o.pause ? 'Schedule paused' : 'Schedule unpaused', { scheduleId: o.scheduleId, paused: Boolean(o.pause) });
    },
  );

  leaf(
    addOverlap(addScheduleId(sched.command('trigger').description('start one run of a schedule now'))),
    (o: GlobalFlags & { scheduleId: string; overlapPolicy: string }): ws.IPatchScheduleRequest => ({
      namespace: o.namespace,
      scheduleId: o.scheduleId,
      patch: { triggerImmediately: { overlapPolicy: overlapPolicy(o.overlapPolicy) } },
      requestId: randomUUID(),
    }),
    async (ctx, req, o) => {
      await ctx.workflow('patchSchedule', { ...req, identity: ctx.identity });
      done(ctx, 'Trigger request sent', { scheduleId: o.scheduleId, triggered: true });
    },
  );

  leaf(
    addOverlap(addScheduleId(sched.command('backfill').description('run the actions a schedule would have taken in a time range')))
      .requiredOption('--start-time <time>', 'backfill start (RFC 3339, inclusive)')
      .requiredOption('--end-time <time>', 'backfill end (RFC 3339)'),
    (o: GlobalFlags & { scheduleId: string; overlapPolicy: string; startTime: string; endTime: string }): ws.IPatchScheduleRequest => ({
      namespace: o.namespace,
      scheduleId: o.scheduleId,
      patch: buildBackfillPatch(o),
      requestId: randomUUID(),
    }),
    async (ctx, req, o) => {
      await ctx.workflow('patchSchedule', { ...req, identity: ctx.identity });
      done(ctx, 'Backfill request sent', { scheduleId: o.scheduleId, backfill: true });
    },
  );

  leaf(
    addScheduleId(sched.command('delete').description('delete a schedule (the runs it started are not affected)')),
    (o: GlobalFlags & { scheduleId: string }): ws.IDeleteScheduleRequest => ({ namespace: o.namespace, scheduleId: o.scheduleId }),
    async (ctx, req, o) => {
      await ctx.workflow('deleteSchedule', { ...req, identity: ctx.identity });
      done(ctx, 'Schedule deleted', { scheduleId: o.scheduleId, deleted: true });
    },
  );

  leaf(
    addScheduleId(sched.command('list-matching-times').description('list the times a schedule matches in a range (nothing is started)'))
      .requiredOption('--start-time <time>', 'range start (RFC 3339)')
      .requiredOption('--end-time <time>', 'range end (RFC 3339)'),
    (o: GlobalFlags & { scheduleId: string; startTime: string; endTime: string }): ws.IListScheduleMatchingTimesRequest => {
      const startTime = parseTimestamp('--start-time', o.startTime);
      const endTime = parseTimestamp('--end-time', o.endTime);
      if (toNumber(endTime.seconds as never) < toNumber(startTime.seconds as never))
        throw new CliError(`--end-time ${o.endTime} is before --start-time ${o.startTime}`);
      return { namespace: o.namespace, scheduleId: o.scheduleId, startTime, endTime };
    },
    async (ctx, req) => {
      const res = await ctx.workflow('listScheduleMatchingTimes', req);
      const times = (res.startTime ?? []).map((t) => timestampText(t));
      if (ctx.out.json) return ctx.out.printJson({ startTime: times });
      ctx.out.table(
        ['Time'],
        times.map((t) => [t]),
      );
    },
  );
}
