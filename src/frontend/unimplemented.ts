/**
 * The methods of WorkflowService and OperatorService this server does not serve, each with the
 * feature it belongs to. They answer UNIMPLEMENTED: "WorkflowService.ListDeployments is not
 * implemented by this server yet (worker versioning and deployments)." Serving one means moving it from here to a handler
 * module (the handler map's type then requires a validator for it too).
 */
import { unimplemented, type OperatorServiceMethod, type Unimplemented, type WorkflowServiceMethod } from './rpc';

const group = <M extends string>(reason: string, methods: readonly M[]) =>
  Object.fromEntries(methods.map((m) => [m, unimplemented(reason)])) as Record<M, Unimplemented>;
// typed per service: a misspelled method, or one of the other service, is a compile error
const workflow = <M extends WorkflowServiceMethod>(reason: string, methods: readonly M[]) => group(reason, methods);
const operator = <M extends OperatorServiceMethod>(reason: string, methods: readonly M[]) => group(reason, methods);

export const WORKFLOW_SERVICE_UNIMPLEMENTED = {
  ...workflow('worker versioning and deployments', [
    'UpdateWorkerBuildIdCompatibility',
    'GetWorkerBuildIdCompatibility',
    'UpdateWorkerVersioningRules',
    'GetWorkerVersioningRules',
    'GetWorkerTaskReachability',
    'DescribeDeployment',
    'DescribeWorkerDeploymentVersion',
    'ListDeployments',
    'GetDeploymentReachability',
    'GetCurrentDeployment',
    'SetCurrentDeployment',
    'SetWorkerDeploymentCurrentVersion',
    'DescribeWorkerDeployment',
    'DeleteWorkerDeployment',
    'DeleteWorkerDeploymentVersion',
    'SetWorkerDeploymentRampingVersion',
    'ListWorkerDeployments',
    'CreateWorkerDeployment',
    'CreateWorkerDeploymentVersion',
    'UpdateWorkerDeploymentVersionComputeConfig',
    'ValidateWorkerDeploymentVersionComputeConfig',
    'UpdateWorkerDeploymentVersionMetadata',
    'SetWorkerDeploymentManager',
  ]),
  ...workflow('worker and task queue administration', [
    'RecordWorkerHeartbeat',
    'ListWorkers',
    'CountWorkers',
    'UpdateTaskQueueConfig',
    'FetchWorkerConfig',
    'UpdateWorkerConfig',
    'DescribeWorker',
  ]),
  ...workflow('Nexus', [
    'PollNexusTaskQueue',
    'RespondNexusTaskCompleted',
    'RespondNexusTaskFailed',
    'StartNexusOperationExecution',
    'DescribeNexusOperationExecution',
    'PollNexusOperationExecution',
    'ListNexusOperationExecutions',
    'CountNexusOperationExecutions',
    'RequestCancelNexusOperationExecution',
    'TerminateNexusOperationExecution',
    'DeleteNexusOperationExecution',
  ]),
  ...workflow('standalone activities', [
    'StartActivityExecution',
    'DescribeActivityExecution',
    'PollActivityExecution',
    'ListActivityExecutions',
    'CountActivityExecutions',
    'RequestCancelActivityExecution',
    'TerminateActivityExecution',
    'DeleteActivityExecution',
    'PauseActivityExecution',
    'ResetActivityExecution',
    'UnpauseActivityExecution',
    'UpdateActivityExecutionOptions',
  ]),
  ...workflow('activity options and reset', ['UpdateActivityOptions', 'ResetActivity']),
  ...workflow('workflow pause', ['PauseWorkflowExecution', 'UnpauseWorkflowExecution']),
  ...workflow('batch operations', ['StartBatchOperation', 'StopBatchOperation', 'DescribeBatchOperation', 'ListBatchOperations']),
  ...workflow('workflow rules', ['CreateWorkflowRule', 'DescribeWorkflowRule', 'DeleteWorkflowRule', 'ListWorkflowRules', 'TriggerWorkflowRule']),
  ...workflow('archival', ['ListArchivedWorkflowExecutions']),
  ...workflow('time skipping', ['PollWorkflowExecutionTimeSkipping']),
} satisfies { [M in WorkflowServiceMethod]?: Unimplemented };

export const OPERATOR_SERVICE_UNIMPLEMENTED = {
  ...operator('multi-cluster replication', ['AddOrUpdateRemoteCluster', 'RemoveRemoteCluster']),
  ...operator('Nexus', ['GetNexusEndpoint', 'CreateNexusEndpoint', 'UpdateNexusEndpoint', 'DeleteNexusEndpoint', 'ListNexusEndpoints']),
} satisfies { [M in OperatorServiceMethod]?: Unimplemented };
