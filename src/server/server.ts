/**
 * startTemporalServer: opens persistence (tables must already exist: the CLI creates or upgrades the
 * schema first), makes sure the configured namespaces exist, starts history (shards + queues) and
 * matching, and serves WorkflowService over gRPC.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { hostname } from 'node:os';
import { ServiceError } from '../common/errors';
import { createLogger } from '../common/logger';
import { toGrpcError } from '../frontend/error-mapping';
import { NamespaceRegistry } from '../frontend/namespaces';
import { buildServiceDefinition, implement } from '../frontend/service-definition';
import { workflowHandlers } from '../frontend/workflow-handler';
import { HistoryService } from '../history';
import { MatchingEngine } from '../matching/matching-engine';
import { openPersistence } from '../persistence/engine';
import type { SqlConnectConfig } from '../persistence/sql-config';

export interface TemporalServerOptions {
  persistence: SqlConnectConfig;
  /** accepted for the CLI; the visibility store is not used by the engine yet */
  visibility?: SqlConnectConfig;
  port: number;
  host?: string;
  numHistoryShards?: number;
  namespace?: string[];
  logLevel?: string;
  longPollTimeoutMs?: number;
  clusterName?: string;
}

export interface RunningTemporalServer {
  port: number;
  stop(): Promise<void>;
}

export const SERVER_VERSION = '1.24.0';

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporalServer> {
  const log = createLogger(opts.logLevel ?? 'info');
  const numHistoryShards = opts.numHistoryShards ?? 4;
  const longPollTimeoutMs = opts.longPollTimeoutMs ?? 60_000;
  const clusterName = opts.clusterName ?? 'active';
  const store = await openPersistence(opts.persistence);

  const namespaces = new NamespaceRegistry(store.namespaces);
  await namespaces.ensure(opts.namespace && opts.namespace.length > 0 ? opts.namespace : ['default']);

  const history = new HistoryService(store, { numHistoryShards, longPollTimeoutMs, hostIdentity: `${hostname()}:${process.pid}` }, log);
  const matching = new MatchingEngine(store.tasks, longPollTimeoutMs, log);
  matching.history = history;
  await history.start(matching);

  const svc = buildServiceDefinition('temporal.api.workflowservice.v1.WorkflowService');
  const handlers = workflowHandlers({
    history,
    matching,
    namespaces,
    clusterName,
    numHistoryShards,
    serverVersion: SERVER_VERSION,
    persistenceStore: opts.persistence.pluginName,
  });
  const server = new Server({ 'grpc.max_receive_message_length': 128 * 1024 * 1024, 'grpc.max_send_message_length': 128 * 1024 * 1024 });
  server.addService(
    svc.definition,
    implement(svc, 'WorkflowService', handlers, (method, err) => {
      if (!(err instanceof ServiceError)) log.error({ err, method }, 'internal error');
      else log.debug({ method, err: err.message }, 'request failed');
      return toGrpcError(err);
    }),
  );
  const host = opts.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ host, port, numHistoryShards, db: opts.persistence.databaseName }, 'temporal-ts server started');

  let stopped = false;
  return {
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      history.stop();
      matching.stop();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      await store.close();
      log.info('temporal-ts server stopped');
    },
  };
}
