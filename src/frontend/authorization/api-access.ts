/**
 * Temporal's classification of each frontend API, which its default authorizer checks roles against
 * (temporalio/temporal common/api/metadata.go): the scope (one namespace, or the whole cluster) and
 * the access it needs (read-only, write, admin). A method missing here is refused by the authorizer,
 * as Temporal refuses an unknown one.
 */
import type { ServiceLabel } from '../rpc';

export type Scope = 'namespace' | 'cluster';
export type Access = 'read' | 'write' | 'admin';

export interface MethodAccess {
  scope: Scope;
  access: Access;
}

const ns = (access: Access): MethodAccess => ({ scope: 'namespace', access });
const cluster = (access: Access): MethodAccess => ({ scope: 'cluster', access });

const WORKFLOW_SERVICE: Readonly<Record<string, MethodAccess>> = {
  RegisterNamespace: ns('admin'),
  DescribeNamespace: ns('read'),
  ListNamespaces: cluster('read'),
  UpdateNamespace: ns('admin'),
  DeprecateNamespace: ns('admin'),
  StartWorkflowExecution: ns('write'),
  ExecuteMultiOperation: ns('write'),
  GetWorkflowExecutionHistory: ns('read'),
  GetWorkflowExecutionHistoryReverse: ns('read'),
  PollWorkflowTaskQueue: ns('write'),
  RespondWorkflowTaskCompleted: ns('write'),
  RespondWorkflowTaskFailed: ns('write'),
  PollActivityTaskQueue: ns('write'),
  RecordActivityTaskHeartbeat: ns('write'),
  RecordActivityTaskHeartbeatById: ns('write'),
  RespondActivityTaskCompleted: ns('write'),
  RespondActivityTaskCompletedById: ns('write'),
  RespondActivityTaskFailed: ns('write'),
  RespondActivityTaskFailedById: ns('write'),
  RespondActivityTaskCanceled: ns('write'),
  RespondActivityTaskCanceledById: ns('write'),
  RequestCancelWorkflowExecution: ns('write'),
  SignalWorkflowExecution: ns('write'),
  SignalWithStartWorkflowExecution: ns('write'),
  ResetWorkflowExecution: ns('write'),
  TerminateWorkflowExecution: ns('write'),
  DeleteWorkflowExecution: ns('write'),
  ListOpenWorkflowExecutions: ns('read'),
  ListClosedWorkflowExecutions: ns('read'),
  ListWorkflowExecutions: ns('read'),
  ListArchivedWorkflowExecutions: ns('read'),
  ScanWorkflowExecutions: ns('read'),
  CountWorkflowExecutions: ns('read'),
  GetSearchAttributes: cluster('read'),
  RespondQueryTaskCompleted: ns('write'),
  ResetStickyTaskQueue: ns('write'),
  ShutdownWorker: ns('write'),
  QueryWorkflow: ns('read'),
  DescribeWorkflowExecution: ns('read'),
  DescribeTaskQueue: ns('read'),
  GetClusterInfo: cluster('read'),
  GetSystemInfo: cluster('read'),
  ListTaskQueuePartitions: ns('read'),
  CreateSchedule: ns('write'),
  DescribeSchedule: ns('read'),
  UpdateSchedule: ns('write'),
  PatchSchedule: ns('write'),
  ListScheduleMatchingTimes: ns('read'),
  DeleteSchedule: ns('write'),
  ListSchedules: ns('read'),
  CountSchedules: ns('read'),
  UpdateWorkerBuildIdCompatibility: ns('write'),
  GetWorkerBuildIdCompatibility: ns('read'),
  GetWorkerTaskReachability: ns('read'),
  UpdateWorkflowExecution: ns('write'),
  UpdateWorkflowExecutionOptions: ns('write'),
  PauseActivity: ns('write'),
  UnpauseActivity: ns('write'),
  PollWorkflowExecutionUpdate: ns('read'),
  StartBatchOperation: ns('write'),
  StopBatchOperation: ns('write'),
  DescribeBatchOperation: ns('read'),
  ListBatchOperations: ns('read'),
};

const OPERATOR_SERVICE: Readonly<Record<string, MethodAccess>> = {
  AddSearchAttributes: ns('admin'),
  RemoveSearchAttributes: ns('admin'),
  ListSearchAttributes: ns('read'),
  DeleteNamespace: ns('admin'),
  AddOrUpdateRemoteCluster: cluster('admin'),
  RemoveRemoteCluster: cluster('admin'),
  ListClusters: cluster('admin'),
};

/** APIs every caller may use, token or not: health checks with nothing sensitive (Temporal's IsHealthCheckAPI). */
export const HEALTH_CHECK_METHODS: ReadonlySet<string> = new Set(['WorkflowService/GetSystemInfo']);

export function methodAccess(service: ServiceLabel, method: string): MethodAccess | undefined {
  return (service === 'WorkflowService' ? WORKFLOW_SERVICE : OPERATOR_SERVICE)[method];
}
