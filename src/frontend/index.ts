/**
 * The frontend service: WorkflowService and OperatorService over gRPC. Every call runs one chain
 * (service-definition.ts): request context, interceptors, the method's validator, its handler;
 * errors become gRPC statuses in one place (error-mapping.ts). Handlers resolve the namespace and
 * delegate to history, matching and visibility through their interfaces.
 */
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { ServiceError } from '../common/errors';
import type { FrontendDeps } from './deps';
import { toGrpcError } from './error-mapping';
import { buildServiceDefinition, implement, type ChainOptions } from './service-definition';
import { operatorServiceMaps, workflowServiceMaps } from './services';

export type { ClusterDescription, FrontendDeps } from './deps';
export { authorizationInterceptor, JwtKeyProvider, KeySourceError } from './authorization';
export type { CallerIdentity, Interceptor, OperatorServiceMethod, RequestContext, ServiceLabel, WorkflowServiceMethod } from './rpc';

export interface FrontendService {
  /** WorkflowService and OperatorService, for the gRPC server to serve. */
  readonly services: readonly { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[];
  /** Answers every call in flight that waits (long polls: empty; history: a page with its token) and any later one at once. */
  drain(): void;
}

export function createFrontendService(d: FrontendDeps): FrontendService {
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal); // one listener per call in flight
  const chain: ChainOptions = {
    interceptors: d.interceptors ?? [],
    onError: (ctx, err) => {
      if (!(err instanceof ServiceError)) d.log.error({ err, method: ctx.method }, 'internal error');
      else d.log.debug({ method: ctx.method, err: err.message }, 'request failed');
      return toGrpcError(err);
    },
    shutdown: shutdown.signal,
  };
  const workflow = workflowServiceMaps(d);
  const operator = operatorServiceMaps(d);
  const workflowService = buildServiceDefinition('WorkflowService');
  const operatorService = buildServiceDefinition('OperatorService');
  return {
    services: [
      { definition: workflowService.definition, implementation: implement(workflowService, workflow.handlers, workflow.validators, chain) },
      { definition: operatorService.definition, implementation: implement(operatorService, operator.handlers, operator.validators, chain) },
    ],
    drain: () => shutdown.abort(),
  };
}
