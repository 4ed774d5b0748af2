/**
 * `temporal-ts server start --config FILE` (production: checks both stores' schema versions and
 * refuses to serve on a mismatch) and `temporal-ts server start-dev` (Temporal's dev-server flags;
 * creates and upgrades its own SQLite files).
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
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
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
        logLevel: string;
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
        // the handlers first: whoever waits for the lines below may signal at once
        stopOnSignal(
          () => running.stop(),
          () => {
            if (tempDir) rmSync(tempDir, { recursive: true, force: true });
          },
        );
        process.stdout.write(
          `temporal-ts dev server: gRPC on ${o.ip}:${running.port}; data in ${tempDir ? `a temporary file in ${tempDir} (removed at exit)` : `${file} and ${visibilityFileFor(file)}`}\n`,
        );
        if (tls) process.stdout.write(`gRPC TLS on${o.tlsCaPath ? ': client certificates signed by ' + o.tlsCaPath + ' required' : ''}\n`);
        announceUi(running);
      },
    );
}
