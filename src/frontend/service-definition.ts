/**
 * Builds @grpc/grpc-js service definitions from the protobufjs reflection root of @temporalio/proto,
 * so the wire format is exactly the SDK's own. Every method defaults to UNIMPLEMENTED.
 */
import { status, type ServiceDefinition, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Method, Type } from 'protobufjs';
import { root } from '../common/proto';

export interface BuiltService {
  definition: ServiceDefinition;
  methodNames: string[];
}

export function buildServiceDefinition(fullName: string): BuiltService {
  const svc = root.lookupService(fullName);
  svc.resolveAll();
  const definition: Record<string, ServiceDefinition[string]> = {};
  const methodNames: string[] = [];
  for (const m of Object.values(svc.methods) as Method[]) {
    const req = m.resolvedRequestType as Type;
    const res = m.resolvedResponseType as Type;
    methodNames.push(m.name);
    definition[m.name] = {
      path: `/${fullName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (o: object) => Buffer.from(res.encode(res.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => res.decode(b),
    };
  }
  return { definition, methodNames };
}

export type UnaryHandler = (request: never, call: ServerUnaryCall<unknown, unknown>, signal: AbortSignal) => Promise<object>;

/**
 * An implementation where every method not in `handlers` answers UNIMPLEMENTED with a sentence.
 * A handler's signal fires when the caller cancels, or when `shutdown` fires: long polls then answer
 * at once (an empty poll, a history page with its token) instead of being cut off as CANCELLED,
 * which the official client does not retry (a result() in flight across a restart would fail).
 */
export function implement(
  service: BuiltService,
  serviceLabel: string,
  handlers: Record<string, UnaryHandler>,
  onError: (method: string, err: unknown) => Partial<import('@grpc/grpc-js').ServiceError> & { code: status },
  shutdown?: AbortSignal,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const name of service.methodNames) {
    const h = handlers[name];
    impl[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (!h) {
        callback({ code: status.UNIMPLEMENTED, details: `${serviceLabel}.${name} is not implemented by this server yet.` });
        return;
      }
      const ac = new AbortController();
      call.on('cancelled', () => ac.abort());
      const onShutdown = () => ac.abort();
      if (shutdown?.aborted) ac.abort();
      else shutdown?.addEventListener('abort', onShutdown, { once: true });
      h(call.request as never, call, ac.signal)
        .then(
          (res) => callback(null, res),
          (err: unknown) => callback(onError(name, err) as never),
        )
        .finally(() => shutdown?.removeEventListener('abort', onShutdown));
    };
  }
  return impl;
}
