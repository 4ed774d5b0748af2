/**
 * One validator per WorkflowService method this server serves: the request's shape, required
 * fields, lengths and enum values, checked before any namespace lookup or history call. Each throws
 * InvalidArgumentError naming the field. Checks that need a namespace's definitions (search
 * attributes) or an execution's state stay with the handler and history.
 */
import { InvalidArgumentError } from '../../common/errors';
import { num, temporal } from '../../common/proto';
import {
  checkActivitySelector,
  decodeHistoryPageToken,
  decodeReverseHistoryPageToken,
  payloadsSize,
  workflowOptionsMaskFields,
  type Limits,
} from '../../history';
import type { WorkflowServiceClass, ValidatorMap } from '../rpc';
import { namespaceStateOf } from '../namespace-state';
import {
  activityTaskToken,
  checkBlob,
  maxLength,
  queryTaskId,
  requireEnum,
  requireExecution,
  requireName,
  requireNamespace,
  requireTaskQueue,
  requireUpdateRequest,
  workflowTaskToken,
} from './fields';
import { scheduleValidators } from './schedules';
import { validateStartRequest } from './start-request';

const E = temporal.api.enums.v1;
/** Namespace names: what RegisterNamespace accepts (and every plugin's column holds). */
const NAMESPACE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const MAX_NAMESPACE_LENGTH = 255;

/** The four ...ById calls name the activity by workflow id and activity id (run id: empty for the current run). */
function activityById(req: { namespace?: string | null; workflowId?: string | null; activityId?: string | null }): void {
  requireNamespace(req.namespace);
  if (!req.workflowId) throw new InvalidArgumentError('workflowId', 'is required');
  if (!req.activityId) throw new InvalidArgumentError('activityId', 'is required');
}

/** Nothing to check: the method has no fields that could be wrong. */
const nothing = (): void => undefined;

export function workflowServiceValidators(limits: Limits) {
  return {
    ...scheduleValidators,
    // ---------------------------------------------------------------- cluster
    GetSystemInfo: nothing,
    GetClusterInfo: nothing,

    // ---------------------------------------------------------------- namespaces
    RegisterNamespace(req) {
      requireNamespace(req.namespace);
      if (req.namespace!.length > MAX_NAMESPACE_LENGTH) throw new InvalidArgumentError('namespace', `exceeds ${MAX_NAMESPACE_LENGTH} characters`);
      if (!NAMESPACE_NAME.test(req.namespace!)) {
        throw new InvalidArgumentError('namespace', `"${req.namespace}" must start with a letter or digit and contain only letters, digits, ".", "_" and "-"`);
      }
    },
    DescribeNamespace(req) {
      if (!req.namespace && !req.id) throw new InvalidArgumentError('namespace', 'is required');
    },
    ListNamespaces: nothing,
    UpdateNamespace(req) {
      requireNamespace(req.namespace);
      const state = req.updateInfo?.state;
      if (state !== undefined && state !== null && Number(state) !== 0 && !namespaceStateOf(state)) {
        throw new InvalidArgumentError('updateInfo.state', `${String(state)} is not a namespace state`);
      }
    },
    DeprecateNamespace(req) {
      requireNamespace(req.namespace);
    },

    // ---------------------------------------------------------------- workflows
    StartWorkflowExecution(req) {
      requireNamespace(req.namespace);
      validateStartRequest(req, limits);
    },
    SignalWithStartWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireName(req.signalName, 'signalName');
      validateStartRequest(req, limits, 'signal-with-start');
    },
    ExecuteMultiOperation(req) {
      requireNamespace(req.namespace);
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
      requireUpdateRequest(upd.request, 'operations[1].updateWorkflow.request');
      requireEnum(E.UpdateWorkflowExecutionLifecycleStage, upd.waitPolicy?.lifecycleStage, 'operations[1].updateWorkflow.waitPolicy.lifecycleStage');
      validateStartRequest(start, limits);
    },
    SignalWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
      requireName(req.signalName, 'signalName');
      maxLength(req.requestId, 'requestId', 255);
      checkBlob('input', payloadsSize(req.input), limits);
    },
    RequestCancelWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
    },
    TerminateWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
    },
    DescribeWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.execution, 'execution');
    },
    GetWorkflowExecutionHistory(req) {
      requireNamespace(req.namespace);
      requireEnum(E.HistoryEventFilterType, req.historyEventFilterType, 'historyEventFilterType');
      if ((req.maximumPageSize ?? 0) < 0) throw new InvalidArgumentError('maximumPageSize', 'must not be negative');
      decodeHistoryPageToken(req.nextPageToken); // a malformed token is the caller's error, whatever the execution
      requireExecution(req.execution, 'execution');
    },
    QueryWorkflow(req) {
      requireNamespace(req.namespace);
      requireExecution(req.execution, 'execution');
      if (!req.query?.queryType) throw new InvalidArgumentError('query.queryType', 'is required');
      requireEnum(E.QueryRejectCondition, req.queryRejectCondition, 'queryRejectCondition');
    },
    UpdateWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
      requireUpdateRequest(req.request, 'request');
      requireEnum(E.UpdateWorkflowExecutionLifecycleStage, req.waitPolicy?.lifecycleStage, 'waitPolicy.lifecycleStage');
    },
    PollWorkflowExecutionUpdate(req) {
      requireNamespace(req.namespace);
      requireExecution(req.updateRef?.workflowExecution, 'updateRef.workflowExecution');
      if (!req.updateRef?.updateId) throw new InvalidArgumentError('updateRef.updateId', 'is required');
      requireEnum(E.UpdateWorkflowExecutionLifecycleStage, req.waitPolicy?.lifecycleStage, 'waitPolicy.lifecycleStage');
    },

    // ---------------------------------------------------------------- tasks
    PollWorkflowTaskQueue(req) {
      requireNamespace(req.namespace);
      requireTaskQueue(req.taskQueue);
    },
    PollActivityTaskQueue(req) {
      requireNamespace(req.namespace);
      requireTaskQueue(req.taskQueue);
    },
    RespondWorkflowTaskCompleted(req) {
      workflowTaskToken(req.taskToken);
    },
    RespondWorkflowTaskFailed(req) {
      requireEnum(E.WorkflowTaskFailedCause, req.cause, 'cause');
      workflowTaskToken(req.taskToken);
    },
    RecordActivityTaskHeartbeat(req) {
      activityTaskToken(req.taskToken);
    },
    RespondActivityTaskCompleted(req) {
      activityTaskToken(req.taskToken);
    },
    RespondActivityTaskFailed(req) {
      activityTaskToken(req.taskToken);
    },
    RespondActivityTaskCanceled(req) {
      activityTaskToken(req.taskToken);
    },
    RespondQueryTaskCompleted(req) {
      queryTaskId(req.taskToken);
      requireEnum(E.QueryResultType, req.completedType, 'completedType', false);
    },
    ShutdownWorker: nothing,

    // ---------------------------------------------------------------- visibility
    ListWorkflowExecutions(req) {
      requireNamespace(req.namespace);
    },
    ScanWorkflowExecutions(req) {
      requireNamespace(req.namespace);
    },
    CountWorkflowExecutions(req) {
      requireNamespace(req.namespace);
    },
    ListOpenWorkflowExecutions(req) {
      requireNamespace(req.namespace);
    },
    ListClosedWorkflowExecutions(req) {
      requireNamespace(req.namespace);
    },
    GetSearchAttributes: nothing,

    // ---------------------------------------------------------------- operations (handlers/workflow-admin.ts, activity-by-id.ts, task-queues.ts)
    ResetWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
      if (!(num(req.workflowTaskFinishEventId) > 1)) {
        throw new InvalidArgumentError(
          'workflowTaskFinishEventId',
          'is required: the id of a WorkflowTaskCompleted (or Failed, TimedOut, Started) event to reset to',
        );
      }
      maxLength(req.requestId, 'requestId', 255);
      requireEnum(E.ResetReapplyType, req.resetReapplyType, 'resetReapplyType');
      (req.resetReapplyExcludeTypes ?? []).forEach((t, i) => requireEnum(E.ResetReapplyExcludeType, t, `resetReapplyExcludeTypes[${i}]`));
      if ((req.postResetOperations ?? []).length > 0) {
        throw new InvalidArgumentError('postResetOperations', 'are not supported by this server (no worker versioning): reset without them');
      }
    },
    DeleteWorkflowExecution(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
    },
    GetWorkflowExecutionHistoryReverse(req) {
      requireNamespace(req.namespace);
      requireExecution(req.execution, 'execution');
      if ((req.maximumPageSize ?? 0) < 0) throw new InvalidArgumentError('maximumPageSize', 'must not be negative');
      decodeReverseHistoryPageToken(req.nextPageToken);
    },
    ResetStickyTaskQueue(req) {
      requireNamespace(req.namespace);
      requireExecution(req.execution, 'execution');
    },
    UpdateWorkflowExecutionOptions(req) {
      requireNamespace(req.namespace);
      requireExecution(req.workflowExecution);
      if (!req.workflowExecutionOptions) throw new InvalidArgumentError('workflowExecutionOptions', 'is required');
      workflowOptionsMaskFields(req.updateMask?.paths ?? []);
    },
    RecordActivityTaskHeartbeatById: activityById,
    RespondActivityTaskCompletedById: activityById,
    RespondActivityTaskFailedById: activityById,
    RespondActivityTaskCanceledById: activityById,
    PauseActivity(req) {
      requireNamespace(req.namespace);
      requireExecution(req.execution, 'execution');
      checkActivitySelector({ id: req.id ?? '', type: req.type ?? '' });
    },
    UnpauseActivity(req) {
      requireNamespace(req.namespace);
      requireExecution(req.execution, 'execution');
      checkActivitySelector({ id: req.id ?? '', type: req.type ?? '', all: !!req.unpauseAll }, 'unpauseAll');
      if (req.jitter && (num(req.jitter.seconds) > 0 || (req.jitter.nanos ?? 0) > 0)) {
        throw new InvalidArgumentError('jitter', 'is not supported by this server: omit it (the activity is dispatched at once)');
      }
    },
    DescribeTaskQueue(req) {
      requireNamespace(req.namespace);
      requireTaskQueue(req.taskQueue);
      requireEnum(E.TaskQueueType, req.taskQueueType, 'taskQueueType');
      requireEnum(E.DescribeTaskQueueMode, req.apiMode, 'apiMode');
      (req.taskQueueTypes ?? []).forEach((t, i) => requireEnum(E.TaskQueueType, t, `taskQueueTypes[${i}]`));
    },
    ListTaskQueuePartitions(req) {
      requireNamespace(req.namespace);
      requireTaskQueue(req.taskQueue);
    },
  } satisfies ValidatorMap<WorkflowServiceClass>;
}
