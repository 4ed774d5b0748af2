/** The frontend: WorkflowService over gRPC, validation, namespaces, error mapping. */
export { buildServiceDefinition, implement } from './service-definition';
export { workflowHandlers, type FrontendDeps } from './workflow-handler';
export { NamespaceRegistry } from './namespaces';
export { toGrpcError } from './error-mapping';
