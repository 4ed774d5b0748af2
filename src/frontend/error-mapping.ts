/**
 * The one place where errors become gRPC statuses. Typed ServiceErrors map to a code and, where the
 * SDKs expect it, a `temporal.api.errordetails.v1.*` detail inside `grpc-status-details-bin`.
 * Anything else is INTERNAL (and logged by the caller).
 */
import { Metadata, status, type ServiceError as GrpcServiceError } from '@grpc/grpc-js';
import { ServiceError } from '../common/errors';
import { google, temporal } from '../common/proto';

const CODES: Record<ServiceError['kind'], status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'namespace-not-found': status.NOT_FOUND,
  'already-started': status.ALREADY_EXISTS,
  'already-exists': status.ALREADY_EXISTS,
  'failed-precondition': status.FAILED_PRECONDITION,
  'shard-ownership-lost': status.UNAVAILABLE,
  'condition-failed': status.UNAVAILABLE,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
  unimplemented: status.UNIMPLEMENTED,
  internal: status.INTERNAL,
  unavailable: status.UNAVAILABLE,
  'query-failed': status.INVALID_ARGUMENT,
  'permission-denied': status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
};

function detailOf(err: ServiceError): { typeUrl: string; value: Uint8Array } | undefined {
  const ed = temporal.api.errordetails.v1;
  const pack = <T>(name: string, type: { encode(m: T): { finish(): Uint8Array }; fromObject(o: object): T }, obj: object) => ({
    typeUrl: `type.googleapis.com/temporal.api.errordetails.v1.${name}`,
    value: type.encode(type.fromObject(obj)).finish(),
  });
  if (err.kind === 'already-started') {
    const e = err as ServiceError & { runId: string; startRequestId: string };
    return pack('WorkflowExecutionAlreadyStartedFailure', ed.WorkflowExecutionAlreadyStartedFailure, { startRequestId: e.startRequestId, runId: e.runId });
  }
  if (err.kind === 'namespace-not-found') {
    return pack('NamespaceNotFoundFailure', ed.NamespaceNotFoundFailure, { namespace: (err as ServiceError & { namespace: string }).namespace });
  }
  if (err.kind === 'not-found') return pack('NotFoundFailure', ed.NotFoundFailure, {});
  if (err.kind === 'query-failed') {
    return pack('QueryFailedFailure', ed.QueryFailedFailure, { failure: (err as ServiceError & { failure: object }).failure ?? undefined });
  }
  return undefined;
}

export function toGrpcError(err: unknown): Partial<GrpcServiceError> & { code: status } {
  if (!(err instanceof ServiceError)) {
    return { code: status.INTERNAL, details: `internal error: ${err instanceof Error ? err.message : String(err)}` };
  }
  const code = CODES[err.kind];
  const metadata = new Metadata();
  const detail = detailOf(err);
  if (detail) {
    const st = google.rpc.Status.encode(google.rpc.Status.fromObject({ code, message: err.message, details: [detail] })).finish();
    metadata.set('grpc-status-details-bin', Buffer.from(st));
  }
  return { code, details: err.message, metadata };
}
