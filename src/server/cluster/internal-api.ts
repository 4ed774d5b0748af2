/**
 * The internal gRPC API between the server processes of a cluster: one unary method,
 * `temporal_ts.cluster.v1.InternalService/Call`, carrying {service, method, args} and answering
 * {ok} or {err} in the JSON of wire.ts. The history and matching roles each serve it on their own
 * port (services.history.rpc.grpcPort, services.matching.rpc.grpcPort); a member's address and
 * ports are in its membership row. An AbortSignal argument (long polls) becomes the call's
 * cancellation; every call has a deadline. Its message limit is its own (internalMessageLimit), not
 * the frontend's.
 */
import { Client, credentials, Metadata, status, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { UnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES, MAX_SEND_MESSAGE_BYTES } from '../grpc-server';
import { errorFromWire, errorToWire, fromWire, toWire } from './wire';

export type InternalServiceName = 'history' | 'matching';

/** How a method's arguments travel: which one is the AbortSignal, which are protobuf messages to rebuild. */
export interface MethodShape {
  signalArg?: number;
  /** argument index -> the message type's fromObject */
  protoArgs?: Readonly<Record<number, (o: Record<string, unknown>) => unknown>>;
}

const PATH = '/temporal_ts.cluster.v1.InternalService/Call';

/**
 * The largest internal message, received and sent, on both ends of a call. What crosses here is a
 * request the frontend accepted (at most its receive limit, as protobuf) or an answer the frontend
 * sends on (at most its send limit: a history page, a workflow task with its history), in wire.ts's
 * JSON: bytes become base64 (a third larger) and every field carries its name and tags besides (a
 * message of many small fields grows several times). So four times the frontend's receive limit,
 * and never less than its send limit. With the frontend's 4 MiB the internal API used to refuse a
 * forwarded request above about 3 MiB that the frontend had accepted. Only members call this API:
 * the frontend's limit protects the server from clients, not from its own peers.
 */
export function internalMessageLimit(frontendReceiveBytes = DEFAULT_MAX_RECEIVE_MESSAGE_BYTES): number {
  return Math.max(MAX_SEND_MESSAGE_BYTES, 4 * frontendReceiveBytes);
}
const identity = (b: Buffer): Buffer => b;

const definition = {
  Call: {
    path: PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'Call',
  },
} as unknown as ServiceDefinition;

interface CallRequest {
  s: InternalServiceName;
  m: string;
  a: unknown[];
}

/** The service definition and implementation served on a role's port, dispatching to this process's services. */
export function internalService(
  targets: Readonly<Record<InternalServiceName, object>>,
  shapes: Readonly<Record<InternalServiceName, Readonly<Record<string, MethodShape>>>>,
  log: Logger,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const implementation = {
    Call(
      call: { request: Buffer; on(ev: 'cancelled', f: () => void): void },
      callback: (err: { code: status; details: string } | null, value?: Buffer) => void,
    ): void {
      let req: CallRequest;
      try {
        req = JSON.parse(call.request.toString('utf8')) as CallRequest;
      } catch {
        callback({ code: status.INVALID_ARGUMENT, details: 'internal call: not JSON' });
        return;
      }
      const target = targets[req.s] as Record<string, unknown> | undefined;
      const shape = shapes[req.s]?.[req.m];
      const fn = target?.[req.m];
      if (!shape || typeof fn !== 'function') {
        callback({ code: status.UNIMPLEMENTED, details: `internal call: no method ${req.s}.${req.m}` });
        return;
      }
      const args = req.a.map((x) => fromWire(x));
      for (const [i, build] of Object.entries(shape.protoArgs ?? {})) {
        const v = args[Number(i)];
        if (v && typeof v === 'object') args[Number(i)] = build(v as Record<string, unknown>);
      }
      if (shape.signalArg !== undefined) {
        const ac = new AbortController();
        call.on('cancelled', () => ac.abort());
        args[shape.signalArg] = ac.signal;
      }
      const reply = (body: unknown) => callback(null, Buffer.from(JSON.stringify(body), 'utf8'));
      Promise.resolve()
        .then(() => (fn as (...a: unknown[]) => unknown).apply(target, args))
        .then(
          (value) => reply({ ok: toWire(value) }),
          (err: unknown) => {
            if (!(err instanceof Error && 'kind' in err)) log.warn({ err, method: `${req.s}.${req.m}` }, 'internal call failed');
            reply({ err: errorToWire(err) });
          },
        );
    },
  };
  return { definition, implementation: implementation as unknown as UntypedServiceImplementation };
}

/** gRPC clients of the other members, one channel per address. */
export class InternalClients {
  private readonly clients = new Map<string, Client>();

  /** @param maxMessageBytes internalMessageLimit of this cluster's frontend limit */
  constructor(private readonly maxMessageBytes = internalMessageLimit()) {}

  /** Calls `service.method(...args)` on the member at `address` (host:port); rejects with the remote error. */
  call(address: string, service: InternalServiceName, method: string, args: readonly unknown[], shape: MethodShape, deadlineMs: number): Promise<unknown> {
    let client = this.clients.get(address);
    if (!client) {
      client = new Client(address, credentials.createInsecure(), {
        'grpc.max_receive_message_length': this.maxMessageBytes,
        'grpc.max_send_message_length': this.maxMessageBytes,
      });
      this.clients.set(address, client);
    }
    const signal = shape.signalArg !== undefined ? (args[shape.signalArg] as AbortSignal | undefined) : undefined;
    const sent = args.map((a, i) => (i === shape.signalArg ? undefined : a));
    const body = Buffer.from(JSON.stringify({ s: service, m: method, a: sent.map(toWire) } satisfies CallRequest), 'utf8');
    const where = `${service}.${method} at ${address}`;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new UnavailableError(`${where}: cancelled`));
        return;
      }
      const c = client.makeUnaryRequest<Buffer, Buffer>(PATH, identity, identity, body, new Metadata(), { deadline: Date.now() + deadlineMs }, (err, value) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          reject(new InternalCallError(where, err.code, err.details));
          return;
        }
        const res = JSON.parse(value!.toString('utf8')) as { ok?: unknown; err?: Parameters<typeof errorFromWire>[0] };
        if (res.err) reject(errorFromWire(res.err, address));
        else resolve(fromWire(res.ok));
      });
      const onAbort = () => c.cancel();
      signal?.addEventListener('abort', onAbort);
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** The call did not complete at the transport level (member gone, deadline, cancelled). */
export class InternalCallError extends UnavailableError {
  constructor(
    readonly where: string,
    readonly code: status,
    details: string,
  ) {
    super(`${where}: ${status[code] ?? code} ${details}`);
  }
}
