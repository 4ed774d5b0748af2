/**
 * The types of the frontend's gRPC surface, derived from the generated service classes of
 * @temporalio/proto: the method names of WorkflowService and OperatorService, each method's request
 * and response, the per-request context, interceptors, validators and handler maps. A handler map is
 * keyed by every method of its service: a missing or misspelled method is a compile error, and a
 * method we do not serve is listed explicitly as `unimplemented(...)`.
 * Does not own: running the chain (service-definition.ts) or any handler.
 */
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type Long from 'long';
import type { temporal } from '../common/proto';

/** grpc-js does not export this type by name. */
export type AuthContext = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;

export type WorkflowServiceClass = temporal.api.workflowservice.v1.WorkflowService;
export type OperatorServiceClass = temporal.api.operatorservice.v1.OperatorService;

/**
 * The generated class's RPC members keyed by their wire name (`startWorkflowExecution` is typed with
 * `readonly name: "StartWorkflowExecution"`); protobufjs' own members (rpcCall, end, ...) drop out.
 */
type RpcTable<S> = { [K in keyof S as S[K] extends { readonly name: infer N extends string; readonly path: string } ? N : never]: S[K] };

export type WorkflowServiceMethod = keyof RpcTable<WorkflowServiceClass>;
export type OperatorServiceMethod = keyof RpcTable<OperatorServiceClass>;

/** The request type of a method: the argument of its promise-returning overload. */
type RequestOfRpc<F> = F extends { (request: infer Q): Promise<unknown> } ? Q : never;
/**
 * A message as the plain object `fromObject` accepts: every field optional, int64 fields as numbers
 * too (handlers build responses this way; the service definition converts them).
 */
type Plain<T> = T extends Long
  ? Long | number | string
  : T extends Uint8Array
    ? T
    : T extends readonly (infer E)[]
      ? Plain<E>[]
      : T extends object
        ? { [K in keyof T as K extends 'toJSON' ? never : K]?: Plain<T[K]> | null }
        : T;
/** The response of a method as a plain object. */
type ResponseOfRpc<F> = F extends { (request: never): Promise<infer R> } ? Plain<R> : never;

export type RequestOf<S, M extends keyof RpcTable<S>> = RequestOfRpc<RpcTable<S>[M]>;
export type ResponseOf<S, M extends keyof RpcTable<S>> = ResponseOfRpc<RpcTable<S>[M]>;

export type ServiceLabel = 'WorkflowService' | 'OperatorService';

/** Who is calling, once an interceptor has established it (issue 13: mTLS subject, JWT claims). */
export interface CallerIdentity {
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * What every interceptor, validator and handler knows about the call in flight. Built once per
 * call by `implement`; only `caller` may be set later, by an authenticating interceptor.
 */
export interface RequestContext {
  readonly service: ServiceLabel;
  /** the method's wire name, e.g. "StartWorkflowExecution" */
  readonly method: string;
  /** the request's `namespace` field when it has one (not resolved: the namespace may not exist) */
  readonly namespace: string | undefined;
  /** the client's deadline in ms since the epoch; undefined when the client set none */
  readonly deadlineMs: number | undefined;
  /** fires when the client cancels or the server stops (long polls then answer at once) */
  readonly signal: AbortSignal;
  /** the call's request metadata (e.g. `authorization`) */
  readonly metadata: Metadata;
  /** the peer's address as grpc-js reports it */
  readonly peer: string;
  /** the connection's transport security (TLS peer certificate) */
  readonly authContext: () => AuthContext;
  caller: CallerIdentity | undefined;
}

/**
 * One link of the request chain: runs around everything after it (`next`). Interceptors see every
 * method of both services, before validation; they may refuse a call by throwing a ServiceError.
 */
export type Interceptor = (ctx: RequestContext, request: unknown, next: () => Promise<unknown>) => Promise<unknown>;

/** A method's handler: its request (already validated) and the call's context. */
export type Handler<S, M extends keyof RpcTable<S>> = (request: RequestOf<S, M>, ctx: RequestContext) => Promise<ResponseOf<S, M>>;

/** A method this server does not serve: it answers UNIMPLEMENTED naming the method and `reason`. */
export interface Unimplemented {
  readonly unimplemented: string;
}

export function unimplemented(reason: string): Unimplemented {
  return { unimplemented: reason };
}

export function isUnimplemented(h: unknown): h is Unimplemented {
  return typeof h === 'object' && h !== null && typeof (h as Unimplemented).unimplemented === 'string';
}

/** A request check: throws InvalidArgumentError naming the field; runs before the handler. */
export type Validator<S, M extends keyof RpcTable<S>> = (request: RequestOf<S, M>) => void;

/** Every method of the service: its handler, or `unimplemented(reason)`. */
export type HandlerMap<S> = { [M in keyof RpcTable<S>]: Handler<S, M> | Unimplemented };
/** Some methods' handlers (one module's part of a HandlerMap). */
export type PartialHandlerMap<S> = { [M in keyof RpcTable<S>]?: Handler<S, M> };
/** One validator per method that has a handler. */
export type ValidatorMap<S> = { [M in keyof RpcTable<S>]?: Validator<S, M> };

export type WorkflowHandlers = PartialHandlerMap<WorkflowServiceClass>;
export type OperatorHandlers = PartialHandlerMap<OperatorServiceClass>;
