/**
 * The gRPC server the frontend's services are served on: binding (after checking the port is free,
 * so a start that would fail to bind fails before it changes anything), TCP_NODELAY on accepted
 * connections, limits enforced before any decoding (the largest message, as Temporal's frontend: 4
 * MiB by default; the largest header list, at the HTTP/2 layer), TLS credentials when given, a
 * graceful shutdown with a deadline, and request inflating without a zlib stream per message
 * (grpc-inflate.ts; bounded by the same message limit).
 */
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { installFastInflate } from './grpc-inflate';

export class PortUnavailableError extends Error {
  override name = 'PortUnavailableError';
}

export interface GrpcServer {
  port: number;
  /** Waits up to `graceMs` for calls in flight, then cuts the rest off. */
  shutdown(graceMs: number): Promise<void>;
}

/** Temporal's frontend default (its dynamic config frontend.maxReceiveMessageSize... is 4 MiB too). */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
/** The largest request header list (metadata: an authorization JWT fits many times over). */
export const DEFAULT_MAX_METADATA_BYTES = 64 * 1024;
/** The largest answer the frontend sends (a long history page, a workflow task carrying its history). */
export const MAX_SEND_MESSAGE_BYTES = 128 * 1024 * 1024;

export interface GrpcServeOptions {
  /** `grpc.max_receive_message_length`: a larger message is refused (RESOURCE_EXHAUSTED) before it is decoded */
  maxReceiveMessageBytes?: number;
  /** `grpc.max_send_message_length` (default MAX_SEND_MESSAGE_BYTES) */
  maxSendMessageBytes?: number;
  /** `grpc.max_metadata_size`: a larger header list is refused by HTTP/2 before any call runs */
  maxMetadataBytes?: number;
  /** TLS (see ./tls-credentials.ts); none: plaintext */
  credentials?: ServerCredentials;
}

export async function serveGrpc(
  services: readonly { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[],
  host: string,
  port: number,
  opts: GrpcServeOptions = {},
): Promise<GrpcServer> {
  installFastInflate();
  const maxMetadata = opts.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  const server = new Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_send_message_length': opts.maxSendMessageBytes ?? MAX_SEND_MESSAGE_BYTES,
    'grpc.max_metadata_size': maxMetadata,
    // nothing reads channelz, and its bookkeeping runs on every call
    'grpc.enable_channelz': 0,
  });
  for (const s of services) server.addService(s.definition, s.implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, opts.credentials ?? ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  tuneHttp2(server, maxMetadata);
  return {
    port: bound,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}

export async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PortUnavailableError(
          err.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use: is another server (the version you are replacing?) still running there? Stop it first, or choose another port.`
            : `cannot listen on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * grpc-js sets TCP_NODELAY on its client sockets but not on the sockets its server accepts, so small
 * responses wait for the peer's delayed ACK (~40 ms on Linux) behind Nagle's algorithm: every task
 * and response of a worker paid it. Set it on every accepted connection (grpc-js keeps its
 * http2 servers in a private map; without it nothing happens and only latency suffers).
 * grpc-js's server ignores `grpc.max_metadata_size`; the HTTP/2 setting SETTINGS_MAX_HEADER_LIST_SIZE
 * enforces it (nghttp2 refuses a larger header block before any call is created).
 */
function tuneHttp2(server: Server, maxMetadataBytes: number): void {
  const servers = (server as unknown as { http2Servers?: Map<NetServer & { updateSettings?(s: object): void }, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return;
  for (const s of servers.keys()) {
    s.on('connection', (socket: Socket) => socket.setNoDelay(true));
    s.updateSettings?.({ maxHeaderListSize: maxMetadataBytes });
  }
}
