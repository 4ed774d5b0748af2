/**
 * The gRPC server the frontend's services are served on: binding (after checking the port is free,
 * so a start that would fail to bind fails before it changes anything), TCP_NODELAY on accepted
 * connections, a graceful shutdown with a deadline, and request inflating without a zlib stream per
 * message (grpc-inflate.ts).
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

const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export async function serveGrpc(
  services: readonly { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[],
  host: string,
  port: number,
): Promise<GrpcServer> {
  installFastInflate();
  const server = new Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });
  for (const s of services) server.addService(s.definition, s.implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  disableNagle(server);
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
 */
function disableNagle(server: Server): void {
  const servers = (server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return;
  for (const s of servers.keys()) s.on('connection', (socket: Socket) => socket.setNoDelay(true));
}
