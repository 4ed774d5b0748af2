/**
 * The WorkflowService surface: validate, resolve the namespace, delegate to history or matching.
 * Thin on purpose; engine logic lives in src/history/api/* and src/matching.
 */
import { InvalidArgumentError, NotFoundError, QueryFailedError } from '../common/errors';
import { temporal } from '../common/proto';
import type { HistoryService } from '../history';
import type { MatchingEngine } from '../matching/matching-engine';
import { decodeToken, type ActivityTaskToken, type WorkflowTaskToken } from '../history/api/task-token';
import { durationMs } from '../common/proto';
import { retentionOf, type NamespaceChanges, type NamespaceInfo, type NamespaceRegistry } from './namespaces';
import { decodePageToken } from '../history/api/get-history';
import ws = temporal.api.workflowservice.v1;
import type { UnaryHandler } from './service-definition';
import type { VersionInfo } from '../upgrade/release-feed';

export interface FrontendDeps {
  history: HistoryService;
  matching: MatchingEngine;
  namespaces: NamespaceRegistry;
  clusterName: string;
  /** the cluster's id (a UUID recorded when the cluster was created) */
  clusterId: string;
  numHistoryShards: number;
  serverVersion: string;
  persistenceStore: string;
  visibilityStore: string;
  /** The release feed's answer (GetClusterInfo.versionInfo); undefined without a feed. */
  versionInfo?: () => VersionInfo | undefined;
}

const SEVERITY = { high: 'SEVERITY_HIGH', medium: 'SEVERITY_MEDIUM', low: 'SEVERITY_LOW' } as const;

function releaseInfo(r: VersionInfo['current']): object {
  // ReleaseInfo has one notes field: the notes' URL when the feed gives one (the UI links it), else the text.
  return { version: r.version, releaseTime: r.releaseTimeMs !== undefined ? msToTimestamp(r.releaseTimeMs) : undefined, notes: r.notesUrl ?? r.notes ?? '' };
}

/** temporal.api.version.v1.VersionInfo from the release feed's answer. */
export function versionInfoProto(v: VersionInfo): object {
  return {
    current: releaseInfo(v.current),
    recommended: releaseInfo(v.recommended),
    instructions: v.instructions,
    alerts: v.alerts.map((a) => ({ message: a.message, severity: SEVERITY[a.severity] })),
    lastUpdateTime: msToTimestamp(v.lastUpdateTimeMs),
  };
}

function msToTimestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requireExecution(e: temporal.api.common.v1.IWorkflowExecution | null | undefined, field = 'workflowExecution'): { workflowId: string; runId: string } {
  if (!e?.workflowId) throw new InvalidArgumentError(`${field}.workflowId`, 'is required');
  if (e.workflowId.length > 1000) throw new InvalidArgumentError(`${field}.workflowId`, 'exceeds length limit of 1000');
  if (e.runId && !UUID.test(e.runId)) throw new InvalidArgumentError(`${field}.runId`, `"${e.runId.slice(0, 64)}" is not a valid run id (a UUID)`);
  return { workflowId: e.workflowId, runId: e.runId ?? '' };
}

/** INVALID_ARGUMENT unless `v` is unset or a value of the proto enum `e`. */
function requireEnum(e: object, v: unknown, field: string, allowUnspecified = true): void {
  if (v === null || v === undefined) return;
  const n = Number(v);
  const name = (e as Record<number, string | undefined>)[n];
  if (typeof name !== 'string' || (!allowUnspecified && n === 0)) {
    throw new InvalidArgumentError(field, `${String(v)} is not a valid value`);
  }
}

function requireName(v: string | null | undefined, field: string): string {
  if (!v) throw new InvalidArgumentError(field, 'is required');
  if (v.length > 1000) throw new InvalidArgumentError(field, 'exceeds length limit of 1000');
  return v;
}

const E = temporal.api.enums.v1;

function wtToken(b: Uint8Array | null | undefined): WorkflowTaskToken {
  const t = decodeToken(b);
  if (t.k !== 'wt') throw new InvalidArgumentError('taskToken', 'is not a workflow task token');
  return t;
}

function atToken(b: Uint8Array | null | undefined): ActivityTaskToken {
  const t = decodeToken(b);
  if (t.k !== 'at') throw new InvalidArgumentError('taskToken', 'is not an activity task token');
  return t;
}

/** How long a long-polling call may wait: the server's long poll, ending 1 s before the client's deadline. */
function waitBudgetMs(call: { getDeadline(): Date | number } | undefined, longPollMs: number): number {
  const dl = call?.getDeadline();
  const deadlineMs = dl instanceof Date ? dl.getTime() : dl;
  if (deadlineMs === undefined || !Number.isFinite(deadlineMs) || deadlineMs <= 0) return longPollMs;
  return Math.max(0, Math.min(longPollMs, deadlineMs - Date.now() - 1000));
}

function requireUpdateRequest(r: temporal.api.update.v1.IRequest | null | undefined, field: string): temporal.api.update.v1.IRequest {
  if (!r?.meta?.updateId) throw new InvalidArgumentError(`${field}.meta.updateId`, 'is required');
  if (!r.input?.name) throw new InvalidArgumentError(`${field}.input.name`, 'is required');
  return r;
}

const NS_STATE: Record<string, 'registered' | 'deprecated' | 'deleted'> = {
  NAMESPACE_STATE_REGISTERED: 'registered',
  NAMESPACE_STATE_DEPRECATED: 'deprecated',
  NAMESPACE_STATE_DELETED: 'deleted',
};

function namespaceChanges(
  info: { description?: string | null; ownerEmail?: string | null; data?: { [k: string]: string } | null; state?: unknown } | null | undefined,
  retention: import('../common/proto').IDuration | null | undefined,
): NamespaceChanges {
  const c: NamespaceChanges = {};
  if (info?.description) c.description = info.description;
  if (info?.ownerEmail) c.ownerEmail = info.ownerEmail;
  if (info?.data && Object.keys(info.data).length > 0) c.data = { ...info.data };
  if (info?.state !== undefined && info.state !== null && Number(info.state) !== 0) {
    const name = typeof info.state === 'string' ? info.state : temporal.api.enums.v1.NamespaceState[Number(info.state)];
    const st = name ? NS_STATE[name] : undefined;
    if (!st) throw new InvalidArgumentError('updateInfo.state', `${String(info.state)} is not a namespace state`);
    c.state = st;
  }
  if (retention) c.retentionMs = durationMs(retention);
  return c;
}

function requireTaskQueue(tq: temporal.api.taskqueue.v1.ITaskQueue | null | undefined): string {
  if (!tq?.name) throw new InvalidArgumentError('taskQueue.name', 'is required');
  if (tq.name.length > 1000) throw new InvalidArgumentError('taskQueue.name', 'exceeds length limit of 1000');
  requireEnum(E.TaskQueueKind, tq.kind, 'taskQueue.kind');
  return tq.name;
}

export function workflowHandlers(d: FrontendDeps): Record<string, UnaryHandler> {
  const { history, matching, namespaces } = d;
  /** `active`: the namespace must accept new workflows (not deprecated) */
  const resolveNamespace = (name: string | null | undefined, active = false) => {
    if (!name) throw new InvalidArgumentError('namespace', 'is required');
    return active ? namespaces.resolveActive(name) : namespaces.resolve(name);
  };
  const h = {
    async GetSystemInfo() {
      return {
        serverVersion: d.serverVersion,
        capabilities: {
          signalAndQueryHeader: true,
          internalErrorDifferentiation: true,
          encodedFailureAttributes: true,
          upsertMemo: true,
          sdkMetadata: true,
          activityFailureIncludeHeartbeat: true,
          eagerWorkflowStart: false,
          buildIdBasedVersioning: false,
          supportsSchedules: false,
          nexus: false,
        },
      };
    },
    async GetClusterInfo() {
      return {
        supportedClients: {},
        serverVersion: d.serverVersion,
        clusterId: d.clusterId,
        clusterName: d.clusterName,
        historyShardCount: d.numHistoryShards,
        persistenceStore: d.persistenceStore,
        visibilityStore: d.visibilityStore,
        versionInfo: (() => {
          const v = d.versionInfo?.();
          return v ? versionInfoProto(v) : undefined;
        })(),
      };
    },
    async DescribeNamespace(req: ws.IDescribeNamespaceRequest) {
      if (!req.namespace && !req.id) throw new InvalidArgumentError('namespace', 'is required');
      const ns = req.namespace ? await resolveNamespace(req.namespace) : (await namespaces.list()).find((n) => n.id === req.id);
      if (!ns) throw new NotFoundError(`namespace id ${req.id} not found`);
      return namespaceDescription(ns, d.clusterName);
    },
    async ListNamespaces(req: ws.IListNamespacesRequest) {
      let all = await namespaces.list();
      if (!req.namespaceFilter?.includeDeleted) all = all.filter((n) => n.state !== 'deleted');
      const size = req.pageSize && req.pageSize > 0 ? req.pageSize : 100;
      const from = req.nextPageToken && req.nextPageToken.length > 0 ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
      const page = all.slice(from, from + size);
      const more = from + size < all.length;
      return {
        namespaces: page.map((ns) => namespaceDescription(ns, d.clusterName)),
        nextPageToken: more ? Buffer.from(String(from + size), 'utf8') : undefined,
      };
    },
    async RegisterNamespace(req: ws.IRegisterNamespaceRequest) {
      if (req.workflowExecutionRetentionPeriod === undefined || req.workflowExecutionRetentionPeriod === null) {
        await namespaces.register(req.namespace, namespaceChanges(req, undefined));
      } else {
        const c = namespaceChanges(req, undefined);
        c.retentionMs = durationMs(req.workflowExecutionRetentionPeriod);
        await namespaces.register(req.namespace, c);
      }
      return {};
    },
    async UpdateNamespace(req: ws.IUpdateNamespaceRequest) {
      const ns = await namespaces.update(req.namespace, namespaceChanges(req.updateInfo, req.config?.workflowExecutionRetentionTtl));
      return { ...namespaceDescription(ns, d.clusterName), isGlobalNamespace: false };
    },
    async DeprecateNamespace(req: ws.IDeprecateNamespaceRequest) {
      await namespaces.update(req.namespace, { state: 'deprecated' });
      return {};
    },
    async UpdateWorkflowExecution(req: ws.IUpdateWorkflowExecutionRequest, call: { getDeadline(): Date | number }, signal: AbortSignal) {
      const ns = await namespaces.resolve(req.namespace);
      const ex = requireExecution(req.workflowExecution);
      const request = requireUpdateRequest(req.request, 'request');
      const st = await history.updateWorkflow(
        ns.id,
        ex,
        request,
        Number(req.waitPolicy?.lifecycleStage ?? 0),
        waitBudgetMs(call, history.longPollTimeoutMs),
        signal,
        req.firstExecutionRunId,
      );
      return {
        updateRef: { workflowExecution: { workflowId: ex.workflowId, runId: st.runId }, updateId: request.meta!.updateId },
        outcome: st.outcome,
        stage: st.stage,
      };
    },
    async PollWorkflowExecutionUpdate(req: ws.IPollWorkflowExecutionUpdateRequest, call: { getDeadline(): Date | number }, signal: AbortSignal) {
      const ns = await namespaces.resolve(req.namespace);
      const ex = requireExecution(req.updateRef?.workflowExecution, 'updateRef.workflowExecution');
      const updateId = req.updateRef?.updateId;
      if (!updateId) throw new InvalidArgumentError('updateRef.updateId', 'is required');
      const st = await history.pollUpdate(
        ns.id,
        ex,
        updateId,
        Number(req.waitPolicy?.lifecycleStage ?? 0),
        waitBudgetMs(call, history.longPollTimeoutMs),
        signal,
      );
      return { outcome: st.outcome, stage: st.stage, updateRef: { workflowExecution: { workflowId: ex.workflowId, runId: st.runId }, updateId } };
    },
    async ExecuteMultiOperation(req: ws.IExecuteMultiOperationRequest, call: { getDeadline(): Date | number }, signal: AbortSignal) {
      const ns = await namespaces.resolveActive(req.namespace);
      const ops = req.operations ?? [];
      const start = ops[0]?.startWorkflow;
      const upd = ops[1]?.updateWorkflow;
      if (ops.length !== 2 || !start || !upd)
        throw new InvalidArgumentError('operations', 'must be exactly [startWorkflow, updateWorkflow] (update-with-start)');
      if (start.namespace && start.namespace !== req.namespace)
        throw new InvalidArgumentError('operations[0].startWorkflow.namespace', 'must equal the request namespace');
      if (upd.workflowExecution?.workflowId && upd.workflowExecution.workflowId !== start.workflowId) {
        throw new InvalidArgumentError('operations[1].updateWorkflow.workflowExecution.workflowId', 'must equal the start operation workflowId');
      }
      if (upd.workflowExecution?.runId) throw new InvalidArgumentError('operations[1].updateWorkflow.workflowExecution.runId', 'must not be set');
      if (!start.workflowIdConflictPolicy) {
        throw new InvalidArgumentError('operations[0].startWorkflow.workflowIdConflictPolicy', 'is required for update-with-start');
      }
      const request = requireUpdateRequest(upd.request, 'operations[1].updateWorkflow.request');
      const started = await history.startWorkflow(ns, { ...start, namespace: ns.name });
      const st = await history.updateWorkflow(
        ns.id,
        { workflowId: start.workflowId!, runId: started.runId },
        request,
        Number(upd.waitPolicy?.lifecycleStage ?? 0),
        waitBudgetMs(call, history.longPollTimeoutMs),
        signal,
      );
      return {
        responses: [
          { startWorkflow: { runId: started.runId, started: started.started } },
          {
            updateWorkflow: {
              updateRef: { workflowExecution: { workflowId: start.workflowId, runId: st.runId }, updateId: request.meta!.updateId },
              outcome: st.outcome,
              stage: st.stage,
            },
          },
        ],
      };
    },
    async StartWorkflowExecution(req: ws.IStartWorkflowExecutionRequest) {
      const ns = await resolveNamespace(req.namespace, true);
      return history.startWorkflow(ns, req);
    },
    async SignalWithStartWorkflowExecution(req: ws.ISignalWithStartWorkflowExecutionRequest) {
      const ns = await resolveNamespace(req.namespace, true);
      requireName(req.signalName, 'signalName');
      return history.signalWithStart(ns, req);
    },
    async SignalWorkflowExecution(req: ws.ISignalWorkflowExecutionRequest) {
      const ns = await resolveNamespace(req.namespace);
      const ex = requireExecution(req.workflowExecution);
      const signalName = requireName(req.signalName, 'signalName');
      if (req.requestId && req.requestId.length > 255) throw new InvalidArgumentError('requestId', 'exceeds length limit of 255');
      await history.signal(ns.id, ex, {
        signalName,
        input: req.input,
        header: req.header,
        identity: req.identity ?? '',
        requestId: req.requestId ?? '',
      });
      return {};
    },
    async RequestCancelWorkflowExecution(req: ws.IRequestCancelWorkflowExecutionRequest) {
      const ns = await resolveNamespace(req.namespace);
      await history.requestCancel(ns.id, requireExecution(req.workflowExecution), req.reason ?? '', req.identity ?? '', req.requestId ?? '');
      return {};
    },
    async TerminateWorkflowExecution(req: ws.ITerminateWorkflowExecutionRequest) {
      const ns = await resolveNamespace(req.namespace);
      await history.terminate(ns.id, requireExecution(req.workflowExecution), req.reason ?? '', req.details, req.identity ?? '');
      return {};
    },
    async DescribeWorkflowExecution(req: ws.IDescribeWorkflowExecutionRequest) {
      const ns = await resolveNamespace(req.namespace);
      return history.describe(ns.id, requireExecution(req.execution, 'execution'));
    },
    async GetWorkflowExecutionHistory(req: ws.IGetWorkflowExecutionHistoryRequest, _call: unknown, signal: AbortSignal) {
      const ns = await resolveNamespace(req.namespace);
      requireEnum(E.HistoryEventFilterType, req.historyEventFilterType, 'historyEventFilterType');
      if ((req.maximumPageSize ?? 0) < 0) throw new InvalidArgumentError('maximumPageSize', 'must not be negative');
      decodePageToken(req.nextPageToken); // a malformed token is the caller's error, whatever the execution
      return history.getHistory(ns.id, requireExecution(req.execution, 'execution'), req, signal);
    },
    async PollWorkflowTaskQueue(req: ws.IPollWorkflowTaskQueueRequest, _call: unknown, signal: AbortSignal) {
      const ns = await resolveNamespace(req.namespace);
      const tq = requireTaskQueue(req.taskQueue);
      if (req.taskQueue?.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY) {
        return matching.pollStickyQueue(ns.id, tq, req.taskQueue.normalName ?? '', req.identity ?? '', signal);
      }
      return matching.pollWorkflowTask(ns.id, tq, req.identity ?? '', signal);
    },
    async PollActivityTaskQueue(req: ws.IPollActivityTaskQueueRequest, _call: unknown, signal: AbortSignal) {
      const ns = await resolveNamespace(req.namespace);
      return matching.pollActivityTask(ns.id, requireTaskQueue(req.taskQueue), req.identity ?? '', signal);
    },
    async RespondWorkflowTaskCompleted(req: ws.IRespondWorkflowTaskCompletedRequest) {
      const out = await history.respondWorkflowTaskCompleted(wtToken(req.taskToken), req);
      if (out.failedWith) throw new InvalidArgumentError('commands', out.failedWith.message);
      return {};
    },
    async RespondWorkflowTaskFailed(req: ws.IRespondWorkflowTaskFailedRequest) {
      requireEnum(E.WorkflowTaskFailedCause, req.cause, 'cause');
      await history.respondWorkflowTaskFailed(wtToken(req.taskToken), req);
      return {};
    },
    async RecordActivityTaskHeartbeat(req: ws.IRecordActivityTaskHeartbeatRequest) {
      return history.heartbeat(atToken(req.taskToken), req.details);
    },
    async RespondActivityTaskCompleted(req: ws.IRespondActivityTaskCompletedRequest) {
      await history.activityCompleted(atToken(req.taskToken), req.result, req.identity ?? '');
      return {};
    },
    async RespondActivityTaskFailed(req: ws.IRespondActivityTaskFailedRequest) {
      await history.activityFailed(atToken(req.taskToken), req.failure, req.lastHeartbeatDetails, req.identity ?? '');
      return {};
    },
    async RespondActivityTaskCanceled(req: ws.IRespondActivityTaskCanceledRequest) {
      await history.activityCanceled(atToken(req.taskToken), req.details, req.identity ?? '');
      return {};
    },
    async QueryWorkflow(req: ws.IQueryWorkflowRequest, call: { getDeadline(): Date | number }) {
      const ns = await resolveNamespace(req.namespace);
      const ex = requireExecution(req.execution, 'execution');
      if (!req.query?.queryType) throw new InvalidArgumentError('query.queryType', 'is required');
      requireEnum(E.QueryRejectCondition, req.queryRejectCondition, 'queryRejectCondition');
      const dl = call.getDeadline();
      const deadlineMs = dl instanceof Date ? dl.getTime() : dl;
      const timeoutMs = Number.isFinite(deadlineMs) && deadlineMs > 0 ? Math.max(1, deadlineMs - Date.now() - 500) : 30_000;
      const answer = await history.query(ns.id, ex, req.query, Math.min(timeoutMs, 60_000));
      if (answer.completedType === temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_FAILED) {
        throw new QueryFailedError(answer.errorMessage || 'query failed', answer.failure);
      }
      return { queryResult: answer.queryResult };
    },
    async RespondQueryTaskCompleted(req: ws.IRespondQueryTaskCompletedRequest) {
      const t = decodeToken(req.taskToken);
      if (t.k !== 'q') throw new InvalidArgumentError('taskToken', 'is not a query task token');
      requireEnum(E.QueryResultType, req.completedType, 'completedType', false);
      history.respondQuery(t.id, req);
      return {};
    },
    async ShutdownWorker() {
      return {};
    },
  };
  return h as unknown as Record<string, UnaryHandler>;
}

const NS_STATE_ENUM = {
  registered: temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED,
  deprecated: temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_DEPRECATED,
  deleted: temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_DELETED,
};

function namespaceDescription(ns: NamespaceInfo, clusterName: string): object {
  const retention = retentionOf(ns);
  return {
    namespaceInfo: {
      name: ns.name,
      id: ns.id,
      state: NS_STATE_ENUM[ns.state ?? 'registered'],
      description: ns.description,
      ownerEmail: ns.ownerEmail,
      data: ns.data ?? {},
      capabilities: { eagerWorkflowStart: false, syncUpdate: true, asyncUpdate: true },
    },
    config: {
      workflowExecutionRetentionTtl: { seconds: Math.floor(retention / 1000), nanos: (retention % 1000) * 1e6 },
      historyArchivalState: temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_DISABLED,
      visibilityArchivalState: temporal.api.enums.v1.ArchivalState.ARCHIVAL_STATE_DISABLED,
    },
    replicationConfig: { activeClusterName: clusterName, clusters: [{ clusterName }] },
    isGlobalNamespace: false,
  };
}
