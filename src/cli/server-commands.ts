/**
 * `temporal-ts server start --config FILE` (production: checks both stores' schema versions and
 * refuses to serve on a mismatch) and `temporal-ts server start-dev` (Temporal's dev-server flags;
 * creates and upgrades its own SQLite files; search attributes, dynamic config values, a metrics
 * endpoint, quiet readable logs and a short banner, as `temporal server start-dev`).
 */
import { type Command, Option } from 'commander';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadServerConfig } from '../config/server-config';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { ensureSchema } from '../schema/auto-setup';
import { checkSchemasForStart } from '../upgrade/schema-check';
import { temporalTsCommand } from '../upgrade/tool-commands';
import { consoleReporter } from '../schema/reporter';
import { startTemporalServer, type RunningTemporalServer } from '../server/server';
import { UsageError } from '../schema/errors';
import { packageVersion } from '../common/package-info';
import { LOG_FORMATS, type LogFormat } from '../common/logger';
import { startMetricsEndpoint } from '../server/metrics-endpoint';
import {
  DYNAMIC_CONFIG_KEYS,
  devServerBanner,
  parseDynamicConfig,
  parseSearchAttribute,
  registerSearchAttributes,
  type DevSearchAttribute,
} from './dev-server-options';

/** The release feed file the Web UI reads itself; a URL reaches it through GetClusterInfo. */
function uiReleaseFeedFile(releaseFeed: string | undefined): string | undefined {
  if (releaseFeed === undefined || /^https?:\/\//i.test(releaseFeed)) return undefined;
  if (!existsSync(releaseFeed)) throw new UsageError(`the release feed file ${releaseFeed} does not exist`);
  return releaseFeed;
}

/** Prints where the Web UI is, when it runs. */
function announceUi(running: RunningTemporalServer): void {
  if (running.ui) process.stdout.write(`temporal-ts Web UI: ${running.ui.url}\n`);
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

function parsePort(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} "${v}" is not a port number (0-65535)`);
    return n;
  };
}

/** Keeps the process alive until SIGINT/SIGTERM, then stops the server cleanly. */
function stopOnSignal(stop: () => Promise<void>, cleanup: () => void = () => undefined): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`received ${sig}, stopping\n`);
    stop()
      .catch((err: unknown) => process.stderr.write(`error while stopping: ${(err as Error).message}\n`))
      .finally(() => {
        cleanup();
        process.exit(0);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** The visibility store's file beside the default store's: temporal.db -> temporal-visibility.db */
export function visibilityFileFor(file: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}-visibility${ext || '.db'}`);
}

export function registerServerCommands(program: Command): void {
  const server = program.command('server').description('run the temporal-ts server');

  server
    .command('start')
    .description('start the server with a Temporal-style YAML config; refuses to start if a schema is not at the version it needs')
    .requiredOption('-c, --config <file>', 'YAML config file (persistence.datastores, services.frontend.rpc, ui, ...)')
    .option('--headless', 'do not start the Web UI (same as ui.enabled: false)')
    .action(async (o: { config: string; headless?: boolean }) => {
      const cfg = loadServerConfig(o.config);
      for (const note of cfg.notes) process.stderr.write(`note: ${note}\n`);
      // Every store is checked before the refusal, so that it names all of them at once.
      const schemas = await checkSchemasForStart(
        [
          { store: 'temporal', config: cfg.defaultStore },
          { store: 'visibility', config: cfg.visibilityStore },
        ],
        { binaryVersion: packageVersion(), clusterName: cfg.clusterName, releaseFeed: cfg.upgrade.releaseFeed },
      );
      for (const s of schemas) process.stdout.write(`${s.store} store: ${s.database} at schema version ${s.current} (required ${s.required})\n`);
      const withUi = cfg.ui.enabled && !o.headless;
      const running = await startTemporalServer({
        persistence: cfg.defaultStore,
        visibility: cfg.visibilityStore,
        port: cfg.grpcPort,
        host: cfg.bindOnIP,
        numHistoryShards: cfg.numHistoryShards,
        clusterName: cfg.clusterName,
        logLevel: cfg.logLevel,
        releaseFeed: cfg.upgrade.releaseFeed,
        releaseFeedCheckIntervalMs: cfg.upgrade.releaseFeedCheckIntervalSeconds * 1000,
        dataRewriteRowsPerSecond: cfg.upgrade.dataRewriteRowsPerSecond,
        cluster: {
          historyPort: cfg.cluster.historyPort,
          matchingPort: cfg.cluster.matchingPort,
          bindOnIP: cfg.cluster.bindOnIP,
          broadcastAddress: cfg.cluster.broadcastAddress,
          maxJoinDurationMs: cfg.cluster.maxJoinDurationMs,
          memberExpiryMs: cfg.cluster.memberExpiryMs,
        },
        grpc: { maxReceiveMessageBytes: cfg.limits.maxReceiveMessageBytes, maxMetadataBytes: cfg.limits.maxMetadataBytes },
        caches: cfg.historyCaches,
        tls: cfg.global.tls.frontend?.server
          ? { server: cfg.global.tls.frontend.server, client: cfg.global.tls.frontend.client, refreshIntervalMs: cfg.global.tls.refreshIntervalMs }
          : undefined,
        authorization: cfg.global.authorization,
        ui: withUi
          ? {
              port: cfg.ui.port,
              host: cfg.ui.bindOnIP,
              releaseFeedFile: uiReleaseFeedFile(cfg.ui.releaseFeed),
              startCommand: temporalTsCommand(['server', 'start', '--config', resolve(o.config)]),
              upgradeReleaseFeed: cfg.upgrade.releaseFeed,
              allowedHosts: cfg.ui.allowedHosts,
              https: cfg.ui.tls,
              authToken: cfg.ui.authToken,
            }
          : undefined,
      });
      // the handlers first: whoever waits for the lines below may signal at once
      stopOnSignal(() => running.stop());
      process.stdout.write(`temporal-ts frontend listening on ${cfg.bindOnIP}:${running.port}\n`);
      announceUi(running);
    });

  server
    .command('start-dev')
    .description('start a development server on embedded SQLite (in a temporary file unless --db-filename is given)')
    .option('-f, --db-filename <file>', 'SQLite file of the default store, kept across restarts (visibility goes beside it as <name>-visibility.db)')
    .addOption(new Option('-p, --port <port>', 'gRPC port of the frontend').default(7233).argParser(parsePort('--port')))
    .addOption(new Option('--ui-port <port>', 'port of the Web UI').default(8233).argParser(parsePort('--ui-port')))
    .option('--headless', 'do not start the Web UI')
    .option('--ip <address>', 'address to listen on', '127.0.0.1')
    .option('--ui-ip <address>', 'address of the Web UI (default: --ip)')
    .option(
      '--release-feed <file>',
      "release feed (a file or URL in the releases.json format + recommended/alerts): GetClusterInfo's versionInfo and the Web UI's upgrade banner",
    )
    .option('-n, --namespace <name...>', 'namespaces to create besides "default"')
    .option('--tls-cert-path <file>', 'serve gRPC over TLS with this certificate (PEM; with --tls-key-path)')
    .option('--tls-key-path <file>', 'the private key (PEM) of --tls-cert-path')
    .option('--tls-ca-path <file>', 'require client certificates signed by this CA (mTLS)')
    .option(
      '--search-attribute <NAME=TYPE>',
      'a custom search attribute to register in every namespace of the dev server (repeatable; types: Text, Keyword, Int, Double, Bool, Datetime, KeywordList)',
      (v: string, prev: DevSearchAttribute[]) => [...prev, parseSearchAttribute(v)],
      [] as DevSearchAttribute[],
    )
    .option(
      '--dynamic-config-value <KEY=JSON_VALUE>',
      `a dynamic config value (repeatable; quote strings); keys: ${Object.keys(DYNAMIC_CONFIG_KEYS).join(', ')}`,
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(
      new Option('--metrics-port <port>', 'port of the Prometheus endpoint /metrics (default: a free port)').default(0).argParser(parsePort('--metrics-port')),
    )
    .addOption(new Option('--log-level <level>', 'server log level').choices(LOG_LEVELS).default('warn'))
    .addOption(new Option('--log-format <format>', 'server log format').choices(LOG_FORMATS).default('pretty'))
    .addOption(
      new Option('--num-history-shards <n>', 'history shards (fixed once the database exists)').default(4).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 65536) throw new UsageError(`--num-history-shards "${v}" must be a whole number from 1 to 65536`);
        return n;
      }),
    )
    .action(
      async (o: {
        dbFilename?: string;
        port: number;
        uiPort: number;
        headless?: boolean;
        ip: string;
        uiIp?: string;
        releaseFeed?: string;
        namespace?: string[];
        searchAttribute: DevSearchAttribute[];
        dynamicConfigValue: string[];
        metricsPort: number;
        logLevel: string;
        logFormat: LogFormat;
        numHistoryShards: number;
        tlsCertPath?: string;
        tlsKeyPath?: string;
        tlsCaPath?: string;
      }) => {
        if (!!o.tlsCertPath !== !!o.tlsKeyPath) throw new UsageError('--tls-cert-path and --tls-key-path go together: give both, or neither');
        if (o.tlsCaPath && !o.tlsCertPath)
          throw new UsageError('--tls-ca-path (client certificates) needs --tls-cert-path and --tls-key-path (the server certificate)');
        const tls = o.tlsCertPath
          ? {
              server: {
                certFile: o.tlsCertPath,
                keyFile: o.tlsKeyPath,
                clientCaFiles: o.tlsCaPath ? [o.tlsCaPath] : undefined,
                requireClientAuth: !!o.tlsCaPath,
              },
            }
          : undefined;
        // every flag is checked before anything is created
        const dynamic = parseDynamicConfig(o.dynamicConfigValue);
        if (tls && o.searchAttribute.length > 0) {
          throw new UsageError(
            '--search-attribute is registered over plain gRPC and cannot be with --tls-cert-path: start without TLS, or add them with `temporal-ts operator search-attribute create` and the TLS flags',
          );
        }
        let tempDir: string | undefined;
        let file = o.dbFilename;
        if (!file) {
          // Temporal's dev server keeps data in memory without --db-filename; ours uses a temporary
          // file (the stores need their own connections) and removes it at exit.
          tempDir = mkdtempSync(join(tmpdir(), 'temporal-ts-dev-'));
          file = join(tempDir, 'temporal.db');
        }
        const sqlite = (databaseName: string): SqlConnectConfig => ({ pluginName: 'sqlite', host: '', port: 0, databaseName });
        const defaultStore = sqlite(file);
        const visibilityStore = sqlite(visibilityFileFor(file));
        const reporter = consoleReporter(o.logLevel !== 'debug');
        await ensureSchema(defaultStore, 'temporal', reporter);
        await ensureSchema(visibilityStore, 'visibility', reporter);
        let running: RunningTemporalServer;
        try {
          running = await startTemporalServer({
            persistence: defaultStore,
            visibility: visibilityStore,
            port: o.port,
            host: o.ip,
            numHistoryShards: o.numHistoryShards,
            namespace: o.namespace,
            tls,
            logLevel: o.logLevel,
            logFormat: o.logFormat,
            limits: dynamic.limits,
            caches: dynamic.caches,
            ...(dynamic.longPollTimeoutMs !== undefined ? { longPollTimeoutMs: dynamic.longPollTimeoutMs } : {}),
            releaseFeed: o.releaseFeed,
            ui: o.headless
              ? undefined
              : {
                  port: o.uiPort,
                  host: o.uiIp ?? o.ip,
                  releaseFeedFile: uiReleaseFeedFile(o.releaseFeed),
                  startCommand: temporalTsCommand(['server', 'start-dev', ...(o.dbFilename ? ['--db-filename', resolve(o.dbFilename)] : [])]),
                  upgradeReleaseFeed: o.releaseFeed,
                },
          });
        } catch (err) {
          if (tempDir) rmSync(tempDir, { recursive: true, force: true });
          throw err;
        }
        let metrics;
        const namespaces = ['default', ...(o.namespace ?? []).filter((n) => n !== 'default')];
        try {
          metrics = await startMetricsEndpoint(o.ip, o.metricsPort);
          await registerSearchAttributes(`${o.ip.includes(':') ? `[${o.ip}]` : o.ip}:${running.port}`, namespaces, o.searchAttribute);
        } catch (err) {
          await metrics?.close();
          await running.stop();
          if (tempDir) rmSync(tempDir, { recursive: true, force: true });
          throw err;
        }
        const endpoint = metrics;
        // the handlers first: whoever waits for the lines below may signal at once
        stopOnSignal(
          async () => {
            await endpoint.close();
            await running.stop();
          },
          () => {
            if (tempDir) rmSync(tempDir, { recursive: true, force: true });
          },
        );
        const rows: [string, string][] = [['Server', `gRPC on ${o.ip}:${running.port}`]];
        if (running.ui) rows.push(['Web UI', running.ui.url]);
        if (tls) rows.push(['TLS', `gRPC TLS on${o.tlsCaPath ? `: client certificates signed by ${o.tlsCaPath} required` : ''}`]);
        rows.push(['Metrics', endpoint.url], ['Namespaces', namespaces.join(', ')]);
        if (o.searchAttribute.length > 0) rows.push(['Search attributes', o.searchAttribute.map((a) => `${a.name} (${a.type})`).join(', ')]);
        rows.push(['Data', tempDir ? `a temporary file in ${tempDir} (removed at exit)` : `${file} and ${visibilityFileFor(file)}`]);
        process.stdout.write(devServerBanner(packageVersion(), rows));
      },
    );
}
