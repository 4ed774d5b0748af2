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
import { startTemporalServer } from '../server/server';
import { UsageError } from '../schema/errors';
import { DatabaseUpgradeStatusProvider, startUiServer, type RunningUiServer } from '../ui/server';
import { packageVersion } from '../common/package-info';
import type { StoreName } from '../schema/versioned-dir';

interface UiStart {
  port: number;
  host: string;
  frontendHost: string;
  frontendPort: number;
  releaseFeed: string | undefined;
  stores: { store: StoreName; config: SqlConnectConfig }[];
  numHistoryShards: number;
  clusterName: string;
  /** how this server was started, for the upgrade status's next step (pasteable) */
  startCommand: string;
  /** `upgrade.releaseFeed`, for the upgrade status's advice on a schema too new */
  upgradeReleaseFeed?: string;
}

/** Starts the Web UI beside a running frontend and prints where it is. */
async function startUi(o: UiStart): Promise<RunningUiServer> {
  const feedIsUrl = o.releaseFeed !== undefined && /^https?:\/\//i.test(o.releaseFeed);
  if (o.releaseFeed && !feedIsUrl && !existsSync(o.releaseFeed)) throw new UsageError(`the release feed file ${o.releaseFeed} does not exist`);
  const frontendHost =
    o.frontendHost === '0.0.0.0' ? '127.0.0.1' : o.frontendHost === '::' ? '[::1]' : o.frontendHost.includes(':') ? `[${o.frontendHost}]` : o.frontendHost;
  const ui = await startUiServer({
    port: o.port,
    host: o.host,
    frontendAddress: `${frontendHost}:${o.frontendPort}`,
    // A feed URL reaches the UI through the server's GetClusterInfo; a file is also read directly.
    releaseFeedFile: feedIsUrl ? undefined : o.releaseFeed,
    upgradeStatus: new DatabaseUpgradeStatusProvider({
      binaryVersion: packageVersion(),
      clusterName: o.clusterName,
      stores: o.stores,
      numHistoryShards: o.numHistoryShards,
      startCommand: o.startCommand,
      releaseFeed: o.upgradeReleaseFeed,
    }),
  });
  process.stdout.write(`temporal-ts Web UI: ${ui.url}\n`);
  return ui;
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
      });
      process.stdout.write(`temporal-ts frontend listening on ${cfg.bindOnIP}:${running.port}\n`);
      let ui: RunningUiServer | undefined;
      if (cfg.ui.enabled && !o.headless) {
        try {
          ui = await startUi({
            port: cfg.ui.port,
            host: cfg.ui.bindOnIP,
            frontendHost: cfg.bindOnIP,
            frontendPort: running.port,
            releaseFeed: cfg.ui.releaseFeed,
            stores: [
              { store: 'temporal', config: cfg.defaultStore },
              { store: 'visibility', config: cfg.visibilityStore },
            ],
            numHistoryShards: cfg.numHistoryShards,
            clusterName: cfg.clusterName,
            startCommand: temporalTsCommand(['server', 'start', '--config', resolve(o.config)]),
            upgradeReleaseFeed: cfg.upgrade.releaseFeed,
          });
        } catch (err) {
          await running.stop();
          throw err;
        }
      }
      stopOnSignal(async () => {
        await ui?.stop();
        await running.stop();
      });
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
      }) => {
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
        const running = await startTemporalServer({
          persistence: defaultStore,
          visibility: visibilityStore,
          port: o.port,
          host: o.ip,
          numHistoryShards: o.numHistoryShards,
          namespace: o.namespace,
          logLevel: o.logLevel,
          releaseFeed: o.releaseFeed,
        });
        process.stdout.write(
          `temporal-ts dev server: gRPC on ${o.ip}:${running.port}; data in ${tempDir ? `a temporary file in ${tempDir} (removed at exit)` : `${file} and ${visibilityFileFor(file)}`}\n`,
        );
        let ui: RunningUiServer | undefined;
        if (!o.headless) {
          try {
            ui = await startUi({
              port: o.uiPort,
              host: o.uiIp ?? o.ip,
              frontendHost: o.ip,
              frontendPort: running.port,
              releaseFeed: o.releaseFeed,
              stores: [
                { store: 'temporal', config: defaultStore },
                { store: 'visibility', config: visibilityStore },
              ],
              numHistoryShards: o.numHistoryShards,
              clusterName: 'active',
              startCommand: temporalTsCommand(['server', 'start-dev', ...(o.dbFilename ? ['--db-filename', resolve(o.dbFilename)] : [])]),
              upgradeReleaseFeed: o.releaseFeed,
            });
          } catch (err) {
            await running.stop();
            if (tempDir) rmSync(tempDir, { recursive: true, force: true });
            throw err;
          }
        }
        stopOnSignal(
          async () => {
            await ui?.stop();
            await running.stop();
          },
          () => {
            if (tempDir) rmSync(tempDir, { recursive: true, force: true });
          },
        );
      },
    );
}
