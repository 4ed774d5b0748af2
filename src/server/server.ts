/**
 * startTemporalServer: opens persistence (tables must already exist: the CLI creates or upgrades the
 * schema first), makes sure the configured namespaces exist, starts history (shards + queues) and
 * matching, and serves WorkflowService over gRPC.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { createServer as createNetServer } from 'node:net';
import { ServiceError } from '../common/errors';
import { createLogger } from '../common/logger';
import { toGrpcError } from '../frontend/error-mapping';
import { NamespaceRegistry } from '../frontend/namespaces';
import { buildServiceDefinition, implement } from '../frontend/service-definition';
import { workflowHandlers } from '../frontend/workflow-handler';
import { operatorHandlers } from '../frontend/operator-handler';
import { visibilityHandlers } from '../frontend/visibility-handler';
import { HistoryService } from '../history';
import { VisibilityQueueProcessor } from '../history/queues/visibility-queue-processor';
import { VisibilityManager } from '../visibility/manager';
import { openVisibilityStore } from '../visibility/open';
import { DEFAULT_LIMITS, type Limits } from '../history/limits';
import { MatchingEngine } from '../matching/matching-engine';
import { openPersistence } from '../persistence';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { packageVersion } from '../common/package-info';
import { prepareClusterStart } from '../upgrade/cluster-startup';
import { mustParseServerVersion } from '../upgrade/server-version';
import { ReleaseFeedChecker } from '../upgrade/release-feed';
import { DataFormatRewriter } from '../history/data-rewrite';

export interface TemporalServerOptions {
  persistence: SqlConnectConfig;
  /** the visibility store (List/Count, search attributes); without it those APIs answer FAILED_PRECONDITION */
  visibility?: SqlConnectConfig;
  port: number;
  host?: string;
  numHistoryShards?: number;
  namespace?: string[];
  logLevel?: string;
  longPollTimeoutMs?: number;
  clusterName?: string;
  /** A release feed (URL or file) for GetClusterInfo's versionInfo; none: no check, no traffic. */
  releaseFeed?: string;
  releaseFeedCheckIntervalMs?: number;
  /** The version this server runs as; the package's version unless a test says otherwise. */
  serverVersion?: string;
  /** the shortest namespace retention accepted (default 1 day; tests lower it to see deletion) */
  minNamespaceRetentionMs?: number;
  /** size limits; Temporal's defaults (2 MiB blobs, 51,200 events / 50 MiB of history) where absent */
  limits?: Partial<Limits>;
  /** the background data-format rewrite's rate limit (rows looked at per second; default 1000) */
  dataRewriteRowsPerSecond?: number;
}

export interface RunningTemporalServer {
  port: number;
  /** the live size limits of this server (changes apply to the next request) */
  limits: Limits;
  stop(): Promise<void>;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporalServer> {
  const log = createLogger(opts.logLevel ?? 'info');
  const numHistoryShards = opts.numHistoryShards ?? 4;
  const longPollTimeoutMs = opts.longPollTimeoutMs ?? 60_000;
  const clusterName = opts.clusterName ?? 'active';
  // Before any upgrade work: a start that would only fail to bind at the end must not rewrite shards
  // (and take them from the server still holding the port) first.
  if (opts.port !== 0) await assertPortFree(opts.host ?? '127.0.0.1', opts.port);
  const store = await openPersistence(opts.persistence);
  const serverVersion = opts.serverVersion ?? packageVersion();
  let cluster;
  try {
    // Refuses a skipped minor or a rollback past compatibility before anything is served.
    cluster = await prepareClusterStart(store, { clusterName, numHistoryShards, binary: mustParseServerVersion(serverVersion), log });
  } catch (err) {
    await store.close();
    throw err;
  }

  const namespaces = new NamespaceRegistry(store.namespaces, opts.minNamespaceRetentionMs);
  // "default" always exists, as in Temporal's dev server; `namespace` adds more.
  await namespaces.ensure([...new Set(['default', ...(opts.namespace ?? [])])]);

  const visibility = opts.visibility ? new VisibilityManager(await openVisibilityStore(opts.visibility)) : undefined;

  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const history = new HistoryService(
    store,
    { numHistoryShards: cluster.numHistoryShards, longPollTimeoutMs, hostIdentity: `${hostname()}:${process.pid}`, serverVersion, limits },
    log,
  );
  history.engine.visibilityEnabled = visibility !== undefined;
  if (visibility) history.engine.onExecutionDeleted = (ref) => visibility.store.deleteExecution(ref.namespaceId, ref.runId);
  const matching = new MatchingEngine(store.tasks, longPollTimeoutMs, log);
  matching.history = history;
  history.engine.namespaces = {
    byName: async (name) => namespaces.resolve(name).catch(() => undefined),
    retentionMs: (id) => namespaces.retentionMs(id),
  };
  await history.start(matching, cluster.onShardProgress);
  await cluster.activate();
  // Old-format rows left after the upgrade are converted in the background, once the version is active.
  const rewriter = new DataFormatRewriter(store, { rowsPerSecond: opts.dataRewriteRowsPerSecond ?? 1000 }, log);
  await rewriter.start();
  const visibilityProcessors: VisibilityQueueProcessor[] = [];
  if (visibility) {
    for (const shard of history.engine.shards.values()) {
      const p = new VisibilityQueueProcessor(shard, history.engine, visibility, log);
      p.start();
      visibilityProcessors.push(p);
    }
  }

  const feed = opts.releaseFeed
    ? new ReleaseFeedChecker(opts.releaseFeed, mustParseServerVersion(serverVersion), opts.releaseFeedCheckIntervalMs ?? 86_400_000, log)
    : undefined;
  await feed?.start();

  const svc = buildServiceDefinition('temporal.api.workflowservice.v1.WorkflowService');
  const baseHandlers = workflowHandlers({
    history,
    matching,
    namespaces,
    clusterName,
    numHistoryShards: cluster.numHistoryShards,
    clusterId: cluster.clusterId,
    serverVersion,
    persistenceStore: opts.persistence.pluginName,
    visibilityStore: opts.visibility?.pluginName ?? '',
    versionInfo: () => feed?.versionInfo(),
  });
  const handlers = { ...baseHandlers, ...visibilityHandlers({ visibility, namespaces, history, base: baseHandlers }) };
  const server = new Server({ 'grpc.max_receive_message_length': 128 * 1024 * 1024, 'grpc.max_send_message_length': 128 * 1024 * 1024 });
  const onError = (method: string, err: unknown) => {
    if (!(err instanceof ServiceError)) log.error({ err, method }, 'internal error');
    else log.debug({ method, err: err.message }, 'request failed');
    return toGrpcError(err);
  };
  // Fired first on stop: open long polls answer before the gRPC server closes.
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal); // one listener per call in flight
  server.addService(svc.definition, implement(svc, 'WorkflowService', handlers, onError, shutdown.signal));
  const operatorSvc = buildServiceDefinition('temporal.api.operatorservice.v1.OperatorService');
  server.addService(operatorSvc.definition, implement(operatorSvc, 'OperatorService', operatorHandlers({ visibility, namespaces }), onError));
  const host = opts.host ?? '127.0.0.1';
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${opts.port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (err) {
    // A start that cannot serve leaves nothing running behind it (the rewriter, queues, pollers).
    await rewriter.stop();
    feed?.stop();
    history.stop();
    for (const p of visibilityProcessors) p.stop();
    matching.stop();
    await store.close();
    await visibility?.close();
    throw err;
  }
  disableNagle(server);
  log.info({ host, port, numHistoryShards: cluster.numHistoryShards, version: serverVersion, db: opts.persistence.databaseName }, 'temporal-ts server started');

  let stopped = false;
  return {
    port,
    limits,
    async stop() {
      if (stopped) return;
      stopped = true;
      // The rewriter first (it finishes its batch), then the long polls, then the gRPC server at once:
      // polls answered after the abort are re-sent, so the gap before tryShutdown stays short.
      await rewriter.stop();
      shutdown.abort();
      feed?.stop();
      history.stop();
      for (const p of visibilityProcessors) p.stop();
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
      await visibility?.close();
      log.info('temporal-ts server stopped');
    },
  };
}

export class PortUnavailableError extends Error {
  override name = 'PortUnavailableError';
}

async function assertPortFree(host: string, port: number): Promise<void> {
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
  const servers = (server as unknown as { http2Servers?: Map<import('node:net').Server, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return;
  for (const s of servers.keys()) s.on('connection', (socket: import('node:net').Socket) => socket.setNoDelay(true));
}
