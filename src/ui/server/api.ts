/**
 * The Web UI's JSON API, implemented only with the server's own gRPC API (a @temporalio/client
 * Connection to the frontend), never the database: whatever the UI shows, an SDK or CLI user could
 * see too. Where the server answers an error (UNIMPLEMENTED while List/Count are not built, say),
 * the error's gRPC status goes to the browser as it is, and the UI says so: no fake data.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from '@temporalio/client';
import type {
  ResetWorkflowResponse,
  TaskQueueResponse,
  ChildWorkflow,
  ChildrenResponse,
  ClusterResponse,
  HistoryEventView,
  ClusterMembersView,
  HistoryResponse,
  Json,
  JsonObject,
  NamespacesResponse,
  PendingActivity,
  ScheduleAction,
  ScheduleDetails,
  ScheduleListResponse,
  StackTraceResponse,
  StartWorkflowResponse,
  VersionInfoResponse,
  WorkflowCountResponse,
  WorkflowDetails,
  WorkflowListResponse,
  WorkflowSummary,
} from '../api-types';
import { packageVersion } from '../../common/package-info';
import { temporal } from '../../common/proto';
import { int64, pascalEnum, toJson } from './proto-json';
import type { UpgradeStatusProvider } from './upgrade-status';
import { ReleaseFeedError, upgradeRecommended, versionInfoFromFeed, versionInfoFromJson } from './version-info';
import { LocalReleaseNotes } from './release-notes';

/** An error with an HTTP status for the browser; `grpcCode` set when it is the server's own answer. */
export class ApiHttpError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly codeName: string,
    message: string,
    readonly grpcCode?: number,
  ) {
    super(message);
  }
}

const GRPC_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 412, 10: 409, 11: 400, 12: 501, 14: 503, 16: 401 };

/** A gRPC error of the frontend as an ApiHttpError; anything else passes through. */
export function fromGrpc(err: unknown): unknown {
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code === 'number' && e.code > 0 && e.code < GRPC_NAMES.length) {
    const details = typeof e.details === 'string' && e.details ? e.details : String(e.message ?? '');
    return new ApiHttpError(GRPC_TO_HTTP[e.code] ?? 500, GRPC_NAMES[e.code]!, details, e.code);
  }
  return err;
}

async function grpc<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (err) {
    throw fromGrpc(err);
  }
}

export function badRequest(message: string): ApiHttpError {
  return new ApiHttpError(400, 'BAD_REQUEST', message);
}

const WS = 'temporal.api.workflowservice.v1.';
const STATUS_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';
const enums = temporal.api.enums.v1;

function obj(v: Json | undefined): JsonObject {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function s(v: Json | undefined): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function n(v: Json | undefined): number | null {
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
}

export function statusName(v: Json | undefined): string {
  return pascalEnum(s(v), STATUS_PREFIX);
}

function summaryOf(info: JsonObject): WorkflowSummary {
  const ex = obj(info.execution);
  return {
    workflowId: s(ex.workflowId),
    runId: s(ex.runId),
    type: s(obj(info.type).name),
    status: statusName(info.status),
    taskQueue: s(info.taskQueue),
    startTime: info.startTime ? s(info.startTime) : null,
    closeTime: info.closeTime ? s(info.closeTime) : null,
    historyLength: n(info.historyLength),
  };
}

/** JSON text from a form: an array is the argument list, anything else one argument, blank = none. */
export function parseArgs(text: string | undefined, what: string): unknown[] {
  if (text === undefined || text.trim() === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw badRequest(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  return Array.isArray(v) ? v : [v];
}

function jsonPayloads(args: unknown[]): temporal.api.common.v1.IPayloads | undefined {
  if (args.length === 0) return undefined;
  return {
    payloads: args.map((a) =>
      a === null
        ? { metadata: { encoding: Buffer.from('binary/null') } }
        : { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(a)) },
    ),
  };
}

function token(b64: string | undefined | null): Buffer | undefined {
  if (!b64) return undefined;
  return Buffer.from(b64, 'base64');
}

function tokenOut(b: Uint8Array | null | undefined): string | null {
  return b && b.length > 0 ? Buffer.from(b).toString('base64') : null;
}

/** Appends the status filter to a List Filter, keeping an ORDER BY at the end. */
export function withStatus(query: string, status: string | undefined): string {
  const q = query.trim();
  if (!status) return q;
  const cond = `ExecutionStatus = ${JSON.stringify(status)}`;
  const m = /\border\s+by\b/i.exec(q);
  const where = (m ? q.slice(0, m.index) : q).trim();
  const order = m ? ` ${q.slice(m.index)}` : '';
  return `${where ? `(${where}) AND ` : ''}${cond}${order}`;
}

export interface ApiDeps {
  connection: Connection;
  upgradeStatus: UpgradeStatusProvider;
  /** the cluster's members, read from the default store (absent: the page shows none) */
  clusterMembers?: () => Promise<ClusterMembersView>;
  /** --release-feed FILE: versionInfo for the banner from a local file instead of GetClusterInfo */
  releaseFeedFile?: string;
  /** deadline of ordinary calls (ms) */
  callTimeoutMs?: number;
}

export class UiApi {
  /** notes files named by the versionInfo, served at the UI's own URL */
  readonly releaseNotes = new LocalReleaseNotes();

  constructor(private readonly d: ApiDeps) {}

  private get svc() {
    return this.d.connection.workflowService;
  }

  /** Runs a call with a deadline, mapping gRPC errors. */
  private call<T>(fn: () => Promise<T>, timeoutMs = this.d.callTimeoutMs ?? 15_000): Promise<T> {
    return grpc(() => this.d.connection.withDeadline(Date.now() + timeoutMs, fn));
  }

  async namespaces(): Promise<NamespacesResponse> {
    const res = await this.call(() => this.svc.listNamespaces({ pageSize: 1000 }));
    return {
      namespaces: (res.namespaces ?? []).map((d) => {
        const j = obj(toJson(`${WS}DescribeNamespaceResponse`, d));
        const info = obj(j.namespaceInfo);
        return {
          name: s(info.name),
          id: s(info.id),
          state: pascalEnum(s(info.state), 'NAMESPACE_STATE_'),
          description: s(info.description),
          retention: obj(j.config).workflowExecutionRetentionTtl ? s(obj(j.config).workflowExecutionRetentionTtl) : null,
        };
      }),
    };
  }

  async list(namespace: string, query: string, status: string | undefined, pageSize: number, nextPageToken: string | undefined): Promise<WorkflowListResponse> {
    const res = await this.call(() =>
      this.svc.listWorkflowExecutions({ namespace, query: withStatus(query, status), pageSize, nextPageToken: token(nextPageToken) }),
    );
    const j = obj(toJson(`${WS}ListWorkflowExecutionsResponse`, res));
    const executions = Array.isArray(j.executions) ? j.executions.map((e) => summaryOf(obj(e))) : [];
    return { executions, nextPageToken: tokenOut(res.nextPageToken) };
  }

  async count(namespace: string, query: string): Promise<WorkflowCountResponse> {
    const total = await this.call(() => this.svc.countWorkflowExecutions({ namespace, query: query.trim() }));
    let byStatus: Record<string, number> | null = null;
    if (!/\border\s+by\b/i.test(query)) {
      try {
        const g = await this.call(() => this.svc.countWorkflowExecutions({ namespace, query: `${query.trim()} GROUP BY ExecutionStatus`.trim() }));
        const j = obj(toJson(`${WS}CountWorkflowExecutionsResponse`, g));
        if (Array.isArray(j.groups)) {
          byStatus = {};
          for (const grp of j.groups) {
            const go = obj(grp);
            const key = Array.isArray(go.groupValues) ? s(go.groupValues[0]) : '';
            byStatus[key] = Number(n(go.count) ?? 0);
          }
        }
      } catch {
        byStatus = null; // the server counts but cannot group: totals only
      }
    }
    return { total: Number(int64(total.count)), byStatus };
  }

  private async firstEvent(namespace: string, execution: { workflowId: string; runId: string }): Promise<JsonObject | undefined> {
    const res = await this.call(() => this.svc.getWorkflowExecutionHistory({ namespace, execution, maximumPageSize: 1 }));
    const ev = res.history?.events?.[0];
    return ev ? eventView(ev).attributes : undefined;
  }

  private async closeEvent(namespace: string, execution: { workflowId: string; runId: string }): Promise<HistoryEventView | undefined> {
    const res = await this.call(() =>
      this.svc.getWorkflowExecutionHistory({
        namespace,
        execution,
        historyEventFilterType: enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        waitNewEvent: false,
      }),
    );
    const ev = res.history?.events?.[0];
    return ev ? eventView(ev) : undefined;
  }

  async describe(namespace: string, workflowId: string, runId: string): Promise<WorkflowDetails> {
    const res = await this.call(() => this.svc.describeWorkflowExecution({ namespace, execution: { workflowId, runId } }));
    const raw = obj(toJson(`${WS}DescribeWorkflowExecutionResponse`, res));
    const info = obj(raw.workflowExecutionInfo);
    const cfg = obj(raw.executionConfig);
    const summary = summaryOf(info);
    if (!summary.taskQueue) summary.taskQueue = s(obj(cfg.taskQueue).name);
    const execution = { workflowId: summary.workflowId || workflowId, runId: summary.runId || runId };
    const started = await this.firstEvent(namespace, execution);
    let result: Json = null;
    let failure: Json = null;
    let closeEventType: string | null = null;
    if (summary.status !== 'Running') {
      const close = await this.closeEvent(namespace, execution);
      if (close) {
        closeEventType = close.eventType;
        const a = close.attributes;
        result = a.result ?? a.details ?? (a.reason !== undefined ? { reason: a.reason } : null) ?? null;
        if (close.eventType === 'WorkflowExecutionTerminated') result = { reason: a.reason ?? '', details: a.details ?? null, identity: a.identity ?? '' };
        failure = a.failure ?? null;
        if (close.eventType === 'WorkflowExecutionTimedOut') failure = { message: 'workflow timed out', retryState: a.retryState ?? null };
      }
    }
    const pendingActivities: PendingActivity[] = (Array.isArray(raw.pendingActivities) ? raw.pendingActivities : []).map((p) => {
      const a = obj(p);
      return {
        activityId: s(a.activityId),
        activityType: s(obj(a.activityType).name),
        state: pascalEnum(s(a.state), 'PENDING_ACTIVITY_STATE_'),
        attempt: n(a.attempt) ?? 1,
        maximumAttempts: n(a.maximumAttempts) ?? 0,
        scheduledTime: a.scheduledTime ? s(a.scheduledTime) : null,
        lastStartedTime: a.lastStartedTime ? s(a.lastStartedTime) : null,
        lastHeartbeatTime: a.lastHeartbeatTime ? s(a.lastHeartbeatTime) : null,
        heartbeatDetails: a.heartbeatDetails ?? null,
        lastFailure: a.lastFailure ?? null,
        lastWorkerIdentity: s(a.lastWorkerIdentity),
      };
    });
    const pendingChildren: ChildWorkflow[] = (Array.isArray(raw.pendingChildren) ? raw.pendingChildren : []).map((p) => {
      const c = obj(p);
      return {
        workflowId: s(c.workflowId),
        runId: s(c.runId),
        type: s(c.workflowTypeName),
        initiatedId: n(c.initiatedId),
        source: 'pending',
        state: 'Pending',
      };
    });
    const parent = obj(info.parentExecution);
    return {
      summary,
      executionTime: info.executionTime ? s(info.executionTime) : null,
      parent: parent.workflowId ? { workflowId: s(parent.workflowId), runId: s(parent.runId), namespace: s(info.parentNamespaceId) } : null,
      firstRunId: info.firstRunId ? s(info.firstRunId) : null,
      resetRunId: obj(raw.workflowExtendedInfo).resetRunId ? s(obj(raw.workflowExtendedInfo).resetRunId) : null,
      historySizeBytes: n(info.historySizeBytes),
      executionTimeout: cfg.workflowExecutionTimeout ? s(cfg.workflowExecutionTimeout) : null,
      runTimeout: cfg.workflowRunTimeout ? s(cfg.workflowRunTimeout) : null,
      input: started?.input ?? [],
      result,
      failure,
      closeEventType,
      pendingActivities,
      pendingChildren,
      pendingWorkflowTask: raw.pendingWorkflowTask ?? null,
      memo: info.memo ?? null,
      searchAttributes: info.searchAttributes ?? null,
      raw,
    };
  }

  async children(namespace: string, workflowId: string, runId: string): Promise<ChildrenResponse> {
    const d = await this.describe(namespace, workflowId, runId);
    const children = [...d.pendingChildren];
    let listMessage: string | undefined;
    try {
      const q = `ParentWorkflowId = ${JSON.stringify(d.summary.workflowId)}${d.summary.runId ? ` AND ParentRunId = ${JSON.stringify(d.summary.runId)}` : ''}`;
      const page = await this.list(namespace, q, undefined, 100, undefined);
      for (const e of page.executions) {
        if (children.some((c) => c.workflowId === e.workflowId && (!c.runId || c.runId === e.runId))) continue;
        children.push({ workflowId: e.workflowId, runId: e.runId, type: e.type, initiatedId: null, source: 'history', state: e.status });
      }
    } catch (err) {
      listMessage = err instanceof ApiHttpError ? `${err.codeName}: ${err.message}` : (err as Error).message;
    }
    return listMessage ? { children, listMessage } : { children };
  }

  async history(namespace: string, workflowId: string, runId: string, pageSize: number, nextPageToken: string | undefined): Promise<HistoryResponse> {
    const res = await this.call(() =>
      this.svc.getWorkflowExecutionHistory({ namespace, execution: { workflowId, runId }, maximumPageSize: pageSize, nextPageToken: token(nextPageToken) }),
    );
    return { events: (res.history?.events ?? []).map(eventView), nextPageToken: tokenOut(res.nextPageToken) };
  }

  async stackTrace(namespace: string, workflowId: string, runId: string): Promise<StackTraceResponse> {
    const res = await this.call(() => this.svc.queryWorkflow({ namespace, execution: { workflowId, runId }, query: { queryType: '__stack_trace' } }), 10_000);
    const payloads = toJson('temporal.api.common.v1.Payloads', res.queryResult);
    const v = Array.isArray(payloads) ? payloads[0] : null;
    return { stackTrace: typeof v === 'string' ? v : JSON.stringify(v, null, 2) };
  }

  async signal(namespace: string, workflowId: string, runId: string, signalName: string, input: string | undefined): Promise<object> {
    if (!signalName) throw badRequest('signalName is required');
    const args = parseArgs(input, 'signal input');
    await this.call(() =>
      this.svc.signalWorkflowExecution({
        namespace,
        workflowExecution: { workflowId, runId },
        signalName,
        input: jsonPayloads(args),
        identity: 'temporal-ts-web-ui',
        requestId: randomUUID(),
      }),
    );
    return {};
  }

  async cancel(namespace: string, workflowId: string, runId: string, reason: string): Promise<object> {
    await this.call(() =>
      this.svc.requestCancelWorkflowExecution({
        namespace,
        workflowExecution: { workflowId, runId },
        reason,
        identity: 'temporal-ts-web-ui',
        requestId: randomUUID(),
      }),
    );
    return {};
  }

  async terminate(namespace: string, workflowId: string, runId: string, reason: string): Promise<object> {
    if (!reason.trim()) throw badRequest('a reason is required to terminate a workflow');
    await this.call(() => this.svc.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId, runId }, reason, identity: 'temporal-ts-web-ui' }));
    return {};
  }

  async reset(namespace: string, workflowId: string, runId: string, eventId: number, reason: string, reapplySignals: boolean): Promise<ResetWorkflowResponse> {
    if (!(eventId > 1)) throw badRequest('eventId is required: the WorkflowTaskCompleted event to reset to');
    if (!reason.trim()) throw badRequest('a reason is required to reset a workflow');
    const R = temporal.api.enums.v1.ResetReapplyType;
    const res = await this.call(() =>
      this.svc.resetWorkflowExecution({
        namespace,
        workflowExecution: { workflowId, runId },
        workflowTaskFinishEventId: eventId as never,
        reason,
        requestId: randomUUID(),
        resetReapplyType: reapplySignals ? R.RESET_REAPPLY_TYPE_ALL_ELIGIBLE : R.RESET_REAPPLY_TYPE_NONE,
        identity: 'temporal-ts-web-ui',
      }),
    );
    return { runId: res.runId ?? '' };
  }

  async deleteWorkflow(namespace: string, workflowId: string, runId: string): Promise<object> {
    await this.call(() => this.svc.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId } }));
    return {};
  }

  async taskQueue(namespace: string, name: string): Promise<TaskQueueResponse> {
    const T = temporal.api.enums.v1.TaskQueueType;
    const one = async (taskQueueType: number) => {
      const d = await this.call(() => this.svc.describeTaskQueue({ namespace, taskQueue: { name }, taskQueueType, reportStats: true }));
      return {
        pollers: (d.pollers ?? []).map((p) => {
          const j = obj(toJson('temporal.api.taskqueue.v1.PollerInfo', p));
          return { identity: s(j.identity), lastAccessTime: j.lastAccessTime ? s(j.lastAccessTime) : null, ratePerSecond: n(j.ratePerSecond) ?? 0 };
        }),
        backlog: Number(d.stats?.approximateBacklogCount ?? 0),
      };
    };
    const [workflow, activity] = await Promise.all([one(T.TASK_QUEUE_TYPE_WORKFLOW), one(T.TASK_QUEUE_TYPE_ACTIVITY)]);
    return { name, workflow, activity };
  }

  async start(namespace: string, workflowType: string, taskQueue: string, workflowId: string, input: string | undefined): Promise<StartWorkflowResponse> {
    if (!workflowType) throw badRequest('workflowType is required');
    if (!taskQueue) throw badRequest('taskQueue is required');
    if (!workflowId) throw badRequest('workflowId is required');
    const args = parseArgs(input, 'workflow input');
    const res = await this.call(() =>
      this.svc.startWorkflowExecution({
        namespace,
        workflowId,
        workflowType: { name: workflowType },
        taskQueue: { name: taskQueue },
        input: jsonPayloads(args),
        identity: 'temporal-ts-web-ui',
        requestId: randomUUID(),
      }),
    );
    return { workflowId, runId: res.runId ?? '' };
  }

  // ---------------------------------------------------------------- schedules
  async schedules(namespace: string, query: string, pageSize: number, nextPageToken: string | undefined): Promise<ScheduleListResponse> {
    const res = await this.call(() =>
      this.svc.listSchedules({ namespace, query: query.trim(), maximumPageSize: pageSize, nextPageToken: token(nextPageToken) }),
    );
    const j = obj(toJson(`${WS}ListSchedulesResponse`, res));
    const schedules = (Array.isArray(j.schedules) ? j.schedules : []).map((e) => {
      const entry = obj(e);
      const info = obj(entry.info);
      return {
        scheduleId: s(entry.scheduleId),
        workflowType: s(obj(info.workflowType).name),
        paused: info.paused === true,
        notes: s(info.notes),
        spec: info.spec ?? null,
        recentActions: actionsOf(info.recentActions),
        nextActionTimes: (Array.isArray(info.futureActionTimes) ? info.futureActionTimes : []).map(s),
      };
    });
    return { schedules, nextPageToken: tokenOut(res.nextPageToken) };
  }

  async schedule(namespace: string, scheduleId: string): Promise<ScheduleDetails> {
    const res = await this.call(() => this.svc.describeSchedule({ namespace, scheduleId }));
    const raw = obj(toJson(`${WS}DescribeScheduleResponse`, res));
    const sched = obj(raw.schedule);
    const start = obj(obj(sched.action).startWorkflow);
    const policies = obj(sched.policies);
    const state = obj(sched.state);
    const info = obj(raw.info);
    return {
      scheduleId,
      spec: sched.spec ?? null,
      action: {
        workflowType: s(obj(start.workflowType).name),
        workflowId: s(start.workflowId),
        taskQueue: s(obj(start.taskQueue).name),
        input: start.input ?? null,
      },
      policies: {
        overlapPolicy: pascalEnum(s(policies.overlapPolicy), 'SCHEDULE_OVERLAP_POLICY_'),
        catchupWindow: policies.catchupWindow ? s(policies.catchupWindow) : null,
        pauseOnFailure: policies.pauseOnFailure === true,
      },
      state: {
        paused: state.paused === true,
        notes: s(state.notes),
        limitedActions: state.limitedActions === true,
        remainingActions: n(state.remainingActions) ?? 0,
      },
      info: {
        actionCount: n(info.actionCount) ?? 0,
        missedCatchupWindow: n(info.missedCatchupWindow) ?? 0,
        overlapSkipped: n(info.overlapSkipped) ?? 0,
        bufferDropped: n(info.bufferDropped) ?? 0,
        runningWorkflows: (Array.isArray(info.runningWorkflows) ? info.runningWorkflows : []).map((w) => ({
          workflowId: s(obj(w).workflowId),
          runId: s(obj(w).runId),
        })),
        recentActions: actionsOf(info.recentActions),
        futureActionTimes: (Array.isArray(info.futureActionTimes) ? info.futureActionTimes : []).map(s),
        createTime: info.createTime ? s(info.createTime) : null,
        updateTime: info.updateTime ? s(info.updateTime) : null,
      },
      memo: raw.memo ?? null,
      searchAttributes: raw.searchAttributes ?? null,
      raw,
    };
  }

  /** Pause, unpause or trigger now (PatchSchedule). */
  async patchSchedule(namespace: string, scheduleId: string, what: 'pause' | 'unpause' | 'trigger', note: string): Promise<object> {
    const text = note.trim() || (what === 'pause' ? 'paused from the Web UI' : 'unpaused from the Web UI');
    const patch = what === 'trigger' ? { triggerImmediately: {} } : what === 'pause' ? { pause: text } : { unpause: text };
    await this.call(() => this.svc.patchSchedule({ namespace, scheduleId, patch, identity: 'temporal-ts-web-ui', requestId: randomUUID() }));
    return {};
  }

  async deleteSchedule(namespace: string, scheduleId: string): Promise<object> {
    await this.call(() => this.svc.deleteSchedule({ namespace, scheduleId, identity: 'temporal-ts-web-ui' }));
    return {};
  }

  async cluster(): Promise<ClusterResponse> {
    const errorOf = (err: unknown) => {
      const e = fromGrpc(err);
      return e instanceof ApiHttpError
        ? { code: e.grpcCode, codeName: e.codeName, message: e.message }
        : { codeName: 'INTERNAL', message: (e as Error).message };
    };
    const [clusterInfo, systemInfo, upgrade, members] = await Promise.all([
      this.call(() => this.svc.getClusterInfo({})).then((r) => {
        const j = obj(toJson(`${WS}GetClusterInfoResponse`, r));
        delete j.versionInfo;
        return j;
      }, errorOf),
      this.call(() => this.svc.getSystemInfo({})).then((r) => obj(toJson(`${WS}GetSystemInfoResponse`, r)), errorOf),
      this.d.upgradeStatus.getUpgradeStatus().catch(errorOf),
      this.d.clusterMembers ? this.d.clusterMembers().catch(errorOf) : undefined,
    ]);
    return { clusterInfo, systemInfo, upgrade, members };
  }

  async versionInfo(): Promise<VersionInfoResponse> {
    const running = packageVersion();
    if (this.d.releaseFeedFile) {
      try {
        const info = this.releaseNotes.localize(await versionInfoFromFeed(this.d.releaseFeedFile, running));
        return { source: 'release-feed', versionInfo: info, upgradeRecommended: upgradeRecommended(info, running) };
      } catch (err) {
        if (!(err instanceof ReleaseFeedError)) throw err;
        return { source: 'none', versionInfo: null, upgradeRecommended: false, message: err.message };
      }
    }
    let res;
    try {
      res = await this.call(() => this.svc.getClusterInfo({}));
    } catch (err) {
      const e = fromGrpc(err) as Error;
      return { source: 'none', versionInfo: null, upgradeRecommended: false, message: `GetClusterInfo failed: ${e.message}` };
    }
    const vi = obj(toJson(`${WS}GetClusterInfoResponse`, res)).versionInfo;
    if (!vi || Object.keys(obj(vi)).length === 0) {
      return {
        source: 'none',
        versionInfo: null,
        upgradeRecommended: false,
        message: 'the server does not report versionInfo (GetClusterInfo) yet, and no --release-feed file is configured',
      };
    }
    const info = this.releaseNotes.localize(versionInfoFromJson(obj(vi)));
    return { source: 'server', versionInfo: info, upgradeRecommended: upgradeRecommended(info, running) };
  }
}

function actionsOf(v: Json | undefined): ScheduleAction[] {
  return (Array.isArray(v) ? v : []).map((a) => {
    const o = obj(a);
    const r = obj(o.startWorkflowResult);
    return {
      scheduleTime: o.scheduleTime ? s(o.scheduleTime) : null,
      actualTime: o.actualTime ? s(o.actualTime) : null,
      workflowId: s(r.workflowId),
      runId: s(r.runId),
      status: statusName(o.startWorkflowStatus) || 'Unknown',
    };
  });
}

export function eventView(ev: temporal.api.history.v1.IHistoryEvent): HistoryEventView {
  const j = obj(toJson('temporal.api.history.v1.HistoryEvent', ev));
  const key = Object.keys(j).find((k) => k.endsWith('EventAttributes'));
  return {
    eventId: Number(n(j.eventId) ?? 0),
    eventTime: j.eventTime ? s(j.eventTime) : null,
    eventType: pascalEnum(s(j.eventType), 'EVENT_TYPE_'),
    attributes: key ? obj(j[key]) : {},
  };
}
