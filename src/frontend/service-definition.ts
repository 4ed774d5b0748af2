/**
 * The request path of every gRPC method: builds @grpc/grpc-js service definitions from the protobufjs
 * reflection root of @temporalio/proto (so the wire format is exactly the SDK's own), and runs each
 * call through one chain: a RequestContext, the interceptors (first to last), the checks every
 * request gets (validators/request-shape.ts), the method's validator, its handler; an error anywhere becomes a gRPC status through `onError`. A method listed
 * as unimplemented answers UNIMPLEMENTED naming itself, after the interceptors.
 */
import { type status, type ServiceDefinition, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { ServiceError as GrpcServiceError } from '@grpc/grpc-js';
import type { Method, Type } from 'protobufjs';
import { UnimplementedError } from '../common/errors';
import { root } from '../common/proto';
import { responseEncoder } from './response-encoding';
import { isUnimplemented, type Interceptor, type RequestContext, type ServiceLabel } from './rpc';
import { checkRequestShape, decodeRequest } from './validators/request-shape';

export interface BuiltService {
  label: ServiceLabel;
  definition: ServiceDefinition;
  methodNames: string[];
  /** each method's request type (for the checks every request gets) */
  requestTypes: Record<string, Type>;
}

const FULL_NAMES: Record<ServiceLabel, string> = {
  WorkflowService: 'temporal.api.workflowservice.v1.WorkflowService',
  OperatorService: 'temporal.api.operatorservice.v1.OperatorService',
};

export function buildServiceDefinition(label: ServiceLabel): BuiltService {
  const fullName = FULL_NAMES[label];
  const svc = root.lookupService(fullName);
  svc.resolveAll();
  const definition: Record<string, ServiceDefinition[string]> = {};
  const methodNames: string[] = [];
  const requestTypes: Record<string, Type> = {};
  for (const m of Object.values(svc.methods) as Method[]) {
    const req = m.resolvedRequestType as Type;
    const res = m.resolvedResponseType as Type;
    methodNames.push(m.name);
    requestTypes[m.name] = req;
    definition[m.name] = {
      path: `/${fullName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => decodeRequest(req, b),
      responseSerialize: responseEncoder(res),
      responseDeserialize: (b: Buffer) => res.decode(b),
    };
  }
  return { label, definition, methodNames, requestTypes };
}

type AnyHandler = (request: never, ctx: RequestContext) => Promise<unknown>;

export interface ChainOptions {
  interceptors: readonly Interceptor[];
  /** the gRPC status for an error (and logging it) */
  onError: (ctx: RequestContext, err: unknown) => Partial<GrpcServiceError> & { code: status };
  /** fired on stop: the signal of every call in flight fires, so long polls answer at once */
  shutdown: AbortSignal;
}

/** The message of an unimplemented method (the CLI and tests read it). */
export function unimplementedMessage(label: ServiceLabel, method: string, reason: string): string {
  return `${label}.${method} is not implemented by this server yet (${reason}).`;
}

/**
 * The grpc-js implementation of `service`. `handlers` has an entry for every method (a handler or
 * `unimplemented(...)`, as HandlerMap types it); `validators` one per handler.
 * A call's signal fires when the caller cancels, or when `shutdown` fires: long polls then answer at
 * once (an empty poll, a history page with its token) instead of being cut off as CANCELLED, which
 * the official client does not retry (a result() in flight across a restart would fail).
 */
export function implement(
  service: BuiltService,
  handlers: Readonly<Record<string, unknown>>,
  validators: Readonly<Record<string, ((request: never) => void) | undefined>>,
  opts: ChainOptions,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  /** the abort of every call in flight (fired on stop) */
  const inFlight = new Set<() => void>();
  if (!opts.shutdown.aborted) opts.shutdown.addEventListener('abort', () => [...inFlight].forEach((abort) => abort()), { once: true });
  for (const name of service.methodNames) {
    const entry = handlers[name];
    const validate = validators[name];
    const requestType = service.requestTypes[name]!;
    const run: (request: never, ctx: RequestContext) => Promise<unknown> =
      typeof entry === 'function'
        ? async (request, ctx) => {
            checkRequestShape(requestType, request);
            validate?.(request);
            return (entry as AnyHandler)(request, ctx);
          }
        : // unimplemented(...), or a method newer than the handler map's types (a newer @temporalio/proto)
          () =>
            Promise.reject(new UnimplementedError(unimplementedMessage(service.label, name, isUnimplemented(entry) ? entry.unimplemented : 'unknown method')));
    impl[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      // the call's AbortController is made only when something asks for ctx.signal (long polls do;
      // most calls never look), and a stop reaches the calls in flight through one listener
      let ac: AbortController | undefined;
      let aborted = false;
      // grpc-js reports 'cancelled' also when the stream closes after the answer; an abort then would
      // only build a DOMException (with its stack) for nobody
      let answered = false;
      const abort = (): void => {
        if (answered || aborted) return;
        aborted = true;
        ac?.abort();
      };
      const signal = (): AbortSignal => {
        if (!ac) {
          ac = new AbortController();
          if (aborted) ac.abort();
        }
        return ac.signal;
      };
      call.on('cancelled', abort);
      if (opts.shutdown.aborted) aborted = true;
      else inFlight.add(abort);
      const ctx = requestContext(service.label, name, call, signal);
      runChain(opts.interceptors, ctx, call.request, () => run(call.request as never, ctx)).then(
        (res) => {
          answered = true;
          inFlight.delete(abort);
          callback(null, res);
        },
        (err: unknown) => {
          answered = true;
          inFlight.delete(abort);
          callback(opts.onError(ctx, err) as never);
        },
      );
    };
  }
  return impl;
}

function runChain(interceptors: readonly Interceptor[], ctx: RequestContext, request: unknown, last: () => Promise<unknown>): Promise<unknown> {
  const step = (i: number): Promise<unknown> => {
    const interceptor = interceptors[i];
    return interceptor ? interceptor(ctx, request, () => step(i + 1)) : last();
  };
  return step(0);
}

function requestContext(service: ServiceLabel, method: string, call: ServerUnaryCall<unknown, unknown>, signal: () => AbortSignal): RequestContext {
  const dl = call.getDeadline();
  const deadlineMs = dl instanceof Date ? dl.getTime() : dl;
  const ns = (call.request as { namespace?: unknown } | null)?.namespace;
  return {
    service,
    method,
    namespace: typeof ns === 'string' && ns !== '' ? ns : undefined,
    deadlineMs: Number.isFinite(deadlineMs) && deadlineMs > 0 ? deadlineMs : undefined,
    get signal() {
      return signal();
    },
    metadata: call.metadata,
    peer: call.getPeer(),
    authContext: () => call.getAuthContext(),
    caller: undefined,
  };
}
