/**
 * The complete handler and validator maps of WorkflowService and OperatorService: every method is
 * a handler (with exactly one validator) or listed in unimplemented.ts. The types make a missing,
 * misspelled or doubly-listed method, and a missing or stray validator, a compile error.
 */
import type { FrontendDeps } from './deps';
import { activityByIdHandlers } from './handlers/activity-by-id';
import { clusterHandlers } from './handlers/cluster';
import { namespaceHandlers } from './handlers/namespaces';
import { operatorHandlers } from './handlers/operator';
import { operatorAdminHandlers } from './handlers/operator-admin';
import { taskQueueHandlers } from './handlers/task-queues';
import { scheduleHandlers } from './handlers/schedules';
import { taskHandlers } from './handlers/tasks';
import { visibilityHandlers } from './handlers/visibility';
import { workflowAdminHandlers } from './handlers/workflow-admin';
import { workflowHandlers } from './handlers/workflows';
import type { HandlerMap, OperatorServiceClass, Validator, WorkflowServiceClass } from './rpc';
import { OPERATOR_SERVICE_UNIMPLEMENTED, WORKFLOW_SERVICE_UNIMPLEMENTED } from './unimplemented';
import { operatorServiceValidators } from './validators/operator-service';
import { workflowServiceValidators } from './validators/workflow-service';

/** T, when its keys are exactly K; otherwise a type naming the missing or extra keys (so the assignment fails saying which). */
type Exactly<T, K extends PropertyKey> = [Exclude<K, keyof T>] extends [never]
  ? [Exclude<keyof T, K>] extends [never]
    ? T
    : { extra: Exclude<keyof T, K> }
  : { missing: Exclude<K, keyof T> };

/** Never unless K is empty: `const _: None<K> = true` fails to compile naming the overlap. */
type None<K> = [K] extends [never] ? true : { overlap: K };

function workflowServiceParts(d: FrontendDeps) {
  return {
    ...clusterHandlers(d.cluster),
    ...namespaceHandlers(d.namespaces, d.cluster.clusterName),
    ...workflowHandlers(d),
    ...taskHandlers(d),
    ...scheduleHandlers(d),
    ...visibilityHandlers(d.visibility, d.namespaces),
    ...workflowAdminHandlers(d),
    ...activityByIdHandlers(d),
    ...taskQueueHandlers(d),
  };
}
type WorkflowServiceImplemented = keyof ReturnType<typeof workflowServiceParts>;
const _workflowServiceListedOnce: None<Extract<WorkflowServiceImplemented, keyof typeof WORKFLOW_SERVICE_UNIMPLEMENTED>> = true;

export interface ServiceMaps<S, K extends keyof HandlerMap<S>> {
  handlers: HandlerMap<S>;
  validators: { [M in K]: Validator<S, M> };
}

export function workflowServiceMaps(d: FrontendDeps): ServiceMaps<WorkflowServiceClass, WorkflowServiceImplemented> {
  const handlers: HandlerMap<WorkflowServiceClass> = { ...workflowServiceParts(d), ...WORKFLOW_SERVICE_UNIMPLEMENTED };
  const validators: Exactly<ReturnType<typeof workflowServiceValidators>, WorkflowServiceImplemented> = workflowServiceValidators(d.limits);
  return { handlers, validators };
}

function operatorServiceParts(d: FrontendDeps) {
  return { ...operatorHandlers(d.visibility, d.namespaces), ...operatorAdminHandlers(d) };
}
type OperatorServiceImplemented = keyof ReturnType<typeof operatorServiceParts>;
const _operatorServiceListedOnce: None<Extract<OperatorServiceImplemented, keyof typeof OPERATOR_SERVICE_UNIMPLEMENTED>> = true;

export function operatorServiceMaps(d: FrontendDeps): ServiceMaps<OperatorServiceClass, OperatorServiceImplemented> {
  const handlers: HandlerMap<OperatorServiceClass> = { ...operatorServiceParts(d), ...OPERATOR_SERVICE_UNIMPLEMENTED };
  const validators: Exactly<typeof operatorServiceValidators, OperatorServiceImplemented> = operatorServiceValidators;
  return { handlers, validators };
}
