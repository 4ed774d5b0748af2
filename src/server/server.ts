/**
 * The composition root: startTemporalServer opens persistence (tables must already exist: the CLI
 * creates or upgrades the schema first), runs the cluster's start-up checks, builds the services
 * through their factories (namespaces, visibility, matching, history, frontend), starts them in
 * order, serves the frontend over gRPC and, when asked, the Web UI; stop() stops them in the reverse
 * order. Nothing here reaches inside a service: each is used through its index.ts.
 */
import { hostname } from 'node:os';
import { LateBinding } from '../common/late-binding';
import { createLogger, type LogFormat } from '../common/logger';
import { packageVersion } from '../common/package-info';
import { authorizationInterceptor, createFrontendService, JwtKeyProvider, type Interceptor } from '../frontend';
import { createHistoryService, DEFAULT_LIMITS, type Limits } from '../history';
import { createMatchingService, type HistoryClient } from '../matching';
import { NamespaceRegistry } from '../namespace';
import { openPersistence } from '../persistence';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { prepareClusterStart } from '../upgrade/cluster-startup';
import { ReleaseFeedChecker } from '../upgrade/release-feed';
import { mustParseServerVersion } from '../upgrade/server-version';
import { openVisibilityService } from '../visibility';
import type { RunningUiServer } from '../ui/server';
import { ClusterMember, type ClusterOptions } from './cluster/member';
import { lockSqliteDatabase, type SqliteLock } from './sqlite-lock';
import type { AuthorizationConfig, ClientTlsConfig, ServerTlsConfig } from '../config/global-config';
import { assertPortFree, serveGrpc, type GrpcServeOptions, type GrpcServer } from './grpc-server';
import { serverTlsCredentials } from './tls-credentials';
import { warnIfExposed } from './exposure';
import type { WebUiContext, WebUiOptions } from './web-ui';

export { PortUnavailableError } from './grpc-server';
export { DatabaseInUseError } from './sqlite-lock';
export type { ClusterOptions } from './cluster/member';

export interface TemporalServerOptions {
  persistence: SqlConnectConfig;
  /** the visibility store (List/Count, search attributes); without it those APIs answer FAILED_PRECONDITION */
  visibility?: SqlConnectConfig;
  port: number;
  host?: string;
  numHistoryShards?: number;
  namespace?: string[];
  logLevel?: string;
  /** json (default) or pretty (one readable line a record) */
  logFormat?: LogFormat;
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
  /**
   * In-memory caches of the history service: `mutableStates` executions (Temporal's
   * history.cacheMaxSize; default 20,000) and `historyBytes` of stored history (Temporal's
   * history.eventsCacheMaxSizeBytes; default 32 MiB, 0 turns it off). Process-wide, not per shard.
   */
  caches?: { mutableStates?: number; historyBytes?: number };
  /** the background data-format rewrite's rate limit (rows looked at per second; default 1000) */
  dataRewriteRowsPerSecond?: number;
  /** run around every frontend call, first to last, before the request is validated (authentication, authorization) */
  interceptors?: readonly Interceptor[];
  /** serve the Web UI too (none: headless) */
  ui?: WebUiOptions;
  /**
   * On PostgreSQL and MySQL every server is a cluster member (it registers in cluster_membership and
   * serves the shards and task queues the hash ring gives it); these are its internal API and
   * membership settings. SQLite serves one process and ignores them.
   */
  cluster?: ClusterOptions;
  /** the gRPC server's limits (defaults: 4 MiB messages, 64 KiB metadata) */
  grpc?: Omit<GrpcServeOptions, 'credentials'>;
  /** the frontend's TLS (`global.tls.frontend`); none: plaintext (with a warning when bound beyond loopback) */
  tls?: { server: ServerTlsConfig; client?: ClientTlsConfig; refreshIntervalMs?: number };
  /** `global.authorization`: JWTs checked by Temporal's default claim mapper and authorizer on every call */
  authorization?: AuthorizationConfig;
}

export interface RunningTemporalServer {
  port: number;
  /** the Web UI, when it was asked for */
  ui?: { url: string; port: number };
  /** the live size limits of this server (changes apply to the next request) */
  limits: Limits;
  stop(): Promise<void>;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporalServer> {
  const log = createLogger(opts.logLevel ?? 'info', opts.logFormat);
  const host = opts.host ?? '127.0.0.1';
  const longPollTimeoutMs = opts.longPollTimeoutMs ?? 60_000;
  const clusterName = opts.clusterName ?? 'active';
  const serverVersion = opts.serverVersion ?? packageVersion();
  // Before any upgrade work: a start that would only fail to bind at the end must not rewrite shards
  // (and take them from the server still holding the port) first.
  if (opts.port !== 0) await assertPortFree(host, opts.port);
  // certificates are read and checked before anything else: a bad file fails the start naming its key
  const credentials = opts.tls ? serverTlsCredentials(opts.tls.server, 'global.tls.frontend.server', opts.tls.refreshIntervalMs ?? 60_000, log) : undefined;
  warnIfExposed(log, 'gRPC frontend', host, !!opts.tls, !!opts.authorization);
  if (opts.ui) warnIfExposed(log, 'Web UI', opts.ui.host, !!opts.ui.https, !!opts.ui.authToken);

  // the JWT keys are loaded before anything else too: a source that cannot be read fails the start naming it
  const jwtKeys = opts.authorization ? new JwtKeyProvider(opts.authorization.keySourceURIs, opts.authorization.refreshIntervalMs, log) : undefined;
  await jwtKeys?.start();
  const interceptors: Interceptor[] = [
    ...(jwtKeys && opts.authorization ? [authorizationInterceptor(jwtKeys, opts.authorization.permissionsClaimName)] : []),
    ...(opts.interceptors ?? []),
  ];

  // ---------------------------------------------------------------- persistence and the cluster's checks
  // SQLite serves one server process: a second one on the same file is refused here, naming the first.
  const sqliteLock: SqliteLock | undefined =
    opts.persistence.pluginName === 'sqlite' ? lockSqliteDatabase(opts.persistence.databaseName, opts.port) : undefined;
  let store;
  try {
    store = await openPersistence(opts.persistence);
  } catch (err) {
    jwtKeys?.stop();
    sqliteLock?.release();
    throw err;
  }
  let cluster;
  try {
    // Refuses a skipped minor or a rollback past compatibility before anything is served.
    cluster = await prepareClusterStart(store, {
      clusterName,
      numHistoryShards: opts.numHistoryShards ?? 4,
      binary: mustParseServerVersion(serverVersion),
      log,
    });
  } catch (err) {
    await store.close();
    sqliteLock?.release();
    throw err;
  }

  // A cluster member (PostgreSQL, MySQL): its internal API listens before the services exist (calls
  // wait for their binding); the services are built with its routing clients.
  let member: ClusterMember | undefined;
  if (opts.persistence.pluginName !== 'sqlite') {
    member = new ClusterMember(
      {
        ...opts.cluster,
        host,
        frontendPort: opts.port,
        frontendMaxReceiveMessageBytes: opts.grpc?.maxReceiveMessageBytes,
        numHistoryShards: cluster.numHistoryShards,
        longPollTimeoutMs,
        serverVersion,
      },
      store,
      log,
    );
    try {
      await member.listen();
    } catch (err) {
      await member.close();
      await store.close();
      throw err;
    }
  }

  // ---------------------------------------------------------------- services
  const namespaces = new NamespaceRegistry(store.namespaces, opts.minNamespaceRetentionMs);
  let visibility;
  try {
    // "default" always exists, as in Temporal's dev server; `namespace` adds more.
    await namespaces.ensure([...new Set(['default', ...(opts.namespace ?? [])])]);
    visibility = opts.visibility ? await openVisibilityService(opts.visibility) : undefined;
  } catch (err) {
    await member?.close();
    await store.close();
    sqliteLock?.release();
    throw err;
  }
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // The one cycle between services (matching records starts in history, history dispatches tasks to
  // matching): matching is built with a client of history, bound once history exists and before
  // anything polls.
  const historyBinding = new LateBinding<HistoryClient>('the history client of matching');
  const localMatching = createMatchingService({ tasks: store.tasks, longPollTimeoutMs, history: historyBinding.client, log });
  const localHistory = createHistoryService({
    store,
    options: {
      numHistoryShards: cluster.numHistoryShards,
      longPollTimeoutMs,
      hostIdentity: `${hostname()}:${process.pid}`,
      serverVersion,
      limits,
      mutableStateCacheSize: opts.caches?.mutableStates,
      historyCacheBytes: opts.caches?.historyBytes,
    },
    log,
    // in a cluster, tasks go to their queue's owner and transfer tasks reach other shards through their owners
    matching: member ? member.matchingClient : localMatching,
    crossShard: member?.historyClient,
    onShardLost: member?.reportLostShard,
    namespaces,
    visibility,
    dataRewrite: { rowsPerSecond: opts.dataRewriteRowsPerSecond ?? 1000 },
  });
  // What the frontend and matching call: the local services, or in a cluster the routing clients.
  const { history, matching } = member ? member.bind(localHistory, localMatching) : { history: localHistory, matching: localMatching };
  historyBinding.bind(history);
  const feed = opts.releaseFeed
    ? new ReleaseFeedChecker(opts.releaseFeed, mustParseServerVersion(serverVersion), opts.releaseFeedCheckIntervalMs ?? 86_400_000, log)
    : undefined;
  const frontend = createFrontendService({
    history,
    matching,
    namespaces,
    visibility,
    limits,
    cluster: {
      clusterName,
      clusterId: cluster.clusterId,
      numHistoryShards: cluster.numHistoryShards,
      serverVersion,
      persistenceStore: opts.persistence.pluginName,
      visibilityStore: opts.visibility?.pluginName ?? '',
      versionInfo: () => feed?.versionInfo(),
    },
    interceptors,
    log,
  });

  /** Everything started, stopped in order: the long polls answer before the gRPC server closes. */
  const stopServices = async (): Promise<void> => {
    // history first: the data rewrite finishes its batch, the queues stop
    await history.stop();
    // a member then leaves: the others take its shards at their next refresh
    await member?.leave();
    frontend.drain();
    feed?.stop();
    await matching.stop();
    jwtKeys?.stop();
  };
  const closeStores = async (): Promise<void> => {
    await member?.close();
    await store.close();
    await visibility?.close();
    sqliteLock?.release();
  };

  // ---------------------------------------------------------------- start, in order
  /** A start that cannot serve leaves nothing running behind it (the rewriter, queues, pollers, the port). */
  const abandon = async (err: unknown, grpc?: GrpcServer): Promise<never> => {
    await stopServices();
    await grpc?.shutdown(0);
    await closeStores();
    throw err;
  };
  let grpc: GrpcServer;
  try {
    // Old-format rows left after the upgrade are converted in the background, only once the version
    // is active: in a cluster that is when no member of the previous version is left to read them.
    const activate = async () => {
      await cluster.activate();
      await history.startDataRewrite();
    };
    if (member) {
      // this member's share of the shards; the version is active once every shard carries it and no older member is alive
      await member.join(cluster.onShardProgress, activate);
    } else {
      await history.start(cluster.onShardProgress);
      await activate();
    }
    await feed?.start();
    grpc = await serveGrpc(frontend.services, host, opts.port, { ...opts.grpc, credentials });
    // with port 0 the membership rows said 0 until now
    await member?.frontendListening(grpc.port);
  } catch (err) {
    return abandon(err);
  }
  let ui: RunningUiServer | undefined;
  if (opts.ui) {
    const stores: WebUiContext['stores'] = [{ store: 'temporal', config: opts.persistence }];
    if (opts.visibility) stores.push({ store: 'visibility', config: opts.visibility });
    try {
      // loaded here so that a headless server never holds the UI server and its gRPC client in memory
      const { startWebUi } = await import('./web-ui.js');
      ui = await startWebUi(opts.ui, {
        frontendHost: host,
        frontendPort: grpc.port,
        stores,
        serverVersion,
        clusterName,
        numHistoryShards: cluster.numHistoryShards,
        frontendTls: opts.tls,
      });
    } catch (err) {
      return abandon(err, grpc);
    }
  }
  log.info(
    { host, port: grpc.port, numHistoryShards: cluster.numHistoryShards, version: serverVersion, db: opts.persistence.databaseName },
    'temporal-ts server started',
  );

  let stopped = false;
  return {
    port: grpc.port,
    ui: ui && { url: ui.url, port: ui.port },
    limits,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ui?.stop();
      // polls answered by the drain are re-sent by the clients, so the gap before the gRPC shutdown stays short
      await stopServices();
      await grpc.shutdown(2000);
      await closeStores();
      log.info('temporal-ts server stopped');
    },
  };
}
