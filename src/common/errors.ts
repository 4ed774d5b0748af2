/**
 * Typed service errors. Every error the engine raises on purpose is one of these classes; the frontend
 * maps them to gRPC status codes and details in one place (src/frontend/error-mapping.ts).
 */

export abstract class ServiceError extends Error {
  abstract readonly kind: ServiceErrorKind;
}

export type ServiceErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'namespace-not-found'
  | 'already-started'
  | 'already-exists'
  | 'failed-precondition'
  | 'shard-ownership-lost'
  | 'condition-failed'
  | 'deadline-exceeded'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'query-failed'
  | 'permission-denied'
  | 'unauthenticated';

/** A request field is missing or malformed; `field` names it (as in the proto, camelCase). */
export class InvalidArgumentError extends ServiceError {
  readonly kind = 'invalid-argument';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** The workflow execution, task or activity does not exist (or no longer accepts this call). */
export class NotFoundError extends ServiceError {
  readonly kind = 'not-found';
  constructor(
    message: string,
    readonly context: { workflowId?: string; runId?: string } = {},
  ) {
    super(message);
  }
}

export class NamespaceNotFoundError extends ServiceError {
  readonly kind = 'namespace-not-found';
  constructor(readonly namespace: string) {
    super(`Namespace ${namespace} is not found.`);
  }
}

/** Workflow id already has a running (or, per reuse policy, forbidding) execution. */
export class WorkflowExecutionAlreadyStartedError extends ServiceError {
  readonly kind = 'already-started';
  constructor(
    readonly workflowId: string,
    readonly runId: string,
    readonly startRequestId: string,
  ) {
    super(`Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${runId}.`);
  }
}

export class AlreadyExistsError extends ServiceError {
  readonly kind = 'already-exists';
}

export class FailedPreconditionError extends ServiceError {
  readonly kind = 'failed-precondition';
}

/** This process no longer owns the shard: another owner bumped range_id. */
export class ShardOwnershipLostError extends ServiceError {
  readonly kind = 'shard-ownership-lost';
  constructor(
    readonly shardId: number,
    readonly expectedRangeId: number,
  ) {
    super(`shard ${shardId} ownership lost (range_id ${expectedRangeId} is stale)`);
  }
}

/** A conditional write lost a race (db_record_version or current run changed). */
export class ConditionFailedError extends ServiceError {
  readonly kind = 'condition-failed';
}

export class DeadlineExceededError extends ServiceError {
  readonly kind = 'deadline-exceeded';
}

export class UnimplementedError extends ServiceError {
  readonly kind = 'unimplemented';
}

export class InternalError extends ServiceError {
  readonly kind = 'internal';
}

export class UnavailableError extends ServiceError {
  readonly kind = 'unavailable';
}

/** The worker answered a query with a failure (mapped to INVALID_ARGUMENT + QueryFailedFailure). */
export class QueryFailedError extends ServiceError {
  readonly kind = 'query-failed';
  constructor(
    message: string,
    readonly failure: unknown,
  ) {
    super(message);
  }
}

/** The caller is known but may not make this call (PERMISSION_DENIED). */
export class PermissionDeniedError extends ServiceError {
  readonly kind = 'permission-denied';
}

/** The caller's credentials (a JWT) could not be verified (UNAUTHENTICATED). */
export class UnauthenticatedError extends ServiceError {
  readonly kind = 'unauthenticated';
}
