/**
 * The payload format of the internal gRPC API (internal-api.ts): JSON, with two tagged forms for
 * what JSON lacks — bytes (`{"$b": base64}`) and 64-bit integers (`{"$l": "123", "u": false}`, as
 * protobufjs's Long) — and `{"$u": 1}` for an `undefined` argument. JSON because the calls carry
 * the history and matching services' own TypeScript argument types (namespace refs, task tokens,
 * start results …) around Temporal's messages: one generic encoding serves all ~30 methods without
 * a .proto of our own per method, stays readable in a packet dump, and the protobuf messages inside
 * are rebuilt as real message instances on arrival (`fromObject`, which brings back the defaults
 * that protobufjs keeps on prototypes). Errors travel as their kind, class name, message and fields,
 * and come back as the same ServiceError kind, so the frontend maps them to the same gRPC status.
 */
import type Long from 'long';
import {
  AlreadyExistsError,
  ConditionFailedError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NamespaceNotFoundError,
  NotFoundError,
  QueryFailedError,
  ServiceError,
  ShardOwnershipLostError,
  UnavailableError,
  UnimplementedError,
  WorkflowExecutionAlreadyStartedError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../../common/errors';
import { google } from '../../common/proto';

/** protobufjs's Long class (the one its decoded messages use), without depending on the `long` package. */
const LongClass = (google.protobuf.Timestamp.fromObject({ seconds: '1' }).seconds as Long).constructor as typeof Long;

function isLong(v: object): v is Long {
  return v instanceof LongClass;
}

/** A value as JSON-safe data. */
export function toWire(v: unknown): unknown {
  if (v === undefined) return { $u: 1 };
  if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
  if (v instanceof Uint8Array) return { $b: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (isLong(v)) return { $l: v.toString(), u: v.unsigned };
  if (Array.isArray(v)) return v.map(toWire);
  if (v instanceof Date) return { $d: v.getTime() };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function') continue;
    out[k] = toWire(x);
  }
  return out;
}

/** The inverse of toWire. */
export function fromWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromWire);
  const o = v as Record<string, unknown>;
  if ('$u' in o) return undefined;
  if (typeof o.$b === 'string') return Buffer.from(o.$b, 'base64');
  if (typeof o.$l === 'string') return LongClass.fromString(o.$l, o.u === true);
  if (typeof o.$d === 'number') return new Date(o.$d);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = fromWire(x);
  return out;
}

// ---------------------------------------------------------------- errors
interface WireError {
  kind: string;
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

/** One class per kind: the frontend maps errors by kind (src/frontend/error-mapping.ts). */
const CLASSES: Record<ServiceError['kind'], abstract new (...a: never[]) => ServiceError> = {
  'invalid-argument': InvalidArgumentError,
  'not-found': NotFoundError,
  'namespace-not-found': NamespaceNotFoundError,
  'already-started': WorkflowExecutionAlreadyStartedError,
  'already-exists': AlreadyExistsError,
  'failed-precondition': FailedPreconditionError,
  'shard-ownership-lost': ShardOwnershipLostError,
  'condition-failed': ConditionFailedError,
  'deadline-exceeded': DeadlineExceededError,
  unimplemented: UnimplementedError,
  internal: InternalError,
  unavailable: UnavailableError,
  'query-failed': QueryFailedError,
  'permission-denied': PermissionDeniedError,
  unauthenticated: UnauthenticatedError,
};

export function errorToWire(err: unknown): WireError {
  if (err instanceof ServiceError) {
    return { kind: err.kind, name: err.name, message: err.message, fields: toWire({ ...err }) as Record<string, unknown> };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'internal', name: e.name, message: e.message, fields: {} };
}

/** The error as its ServiceError class (fields restored without running its constructor, so the message is the sender's). */
export function errorFromWire(w: WireError, where: string): Error {
  const cls = CLASSES[w.kind as ServiceError['kind']] ?? InternalError;
  const e = Object.create(cls.prototype as object) as ServiceError;
  Object.assign(e, fromWire(w.fields) as object);
  Object.defineProperty(e, 'message', { value: w.kind === 'internal' ? `${w.message} (on ${where})` : w.message, writable: true, configurable: true });
  Object.defineProperty(e, 'name', { value: w.name, writable: true, configurable: true });
  Object.defineProperty(e, 'stack', { value: `${w.name}: ${w.message}\n    at ${where}`, writable: true, configurable: true });
  return e;
}
