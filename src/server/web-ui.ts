/**
 * The Web UI beside a running frontend: its HTTP server talks to the frontend's gRPC address (never
 * to the database, except for the upgrade status, which reads what `admin upgrade status` reads).
 */
import type { SqlConnectConfig } from '../persistence/sql-config';
import type { StoreName } from '../schema/versioned-dir';
import { DatabaseUpgradeStatusProvider, startUiServer, type RunningUiServer } from '../ui/server';

export interface WebUiOptions {
  port: number;
  host: string;
  /** a release feed file the UI reads itself (a feed URL reaches the UI through GetClusterInfo) */
  releaseFeedFile?: string;
  /** how this server was started, for the upgrade status's next step (pasteable) */
  startCommand: string;
  /** `upgrade.releaseFeed`, for the upgrade status's advice on a schema too new */
  upgradeReleaseFeed?: string;
  /** `ui.allowedHosts`: host names besides localhost and the bound address the UI answers to */
  allowedHosts?: readonly string[];
}

export interface WebUiContext {
  /** where the frontend listens */
  frontendHost: string;
  frontendPort: number;
  stores: { store: StoreName; config: SqlConnectConfig }[];
  serverVersion: string;
  clusterName: string;
  numHistoryShards: number;
}

/** The frontend's address as a client reaches it: a wildcard listen address is reached on loopback. */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export function startWebUi(o: WebUiOptions, c: WebUiContext): Promise<RunningUiServer> {
  return startUiServer({
    port: o.port,
    host: o.host,
    frontendAddress: `${reachable(c.frontendHost)}:${c.frontendPort}`,
    releaseFeedFile: o.releaseFeedFile,
    allowedHosts: o.allowedHosts,
    upgradeStatus: new DatabaseUpgradeStatusProvider({
      binaryVersion: c.serverVersion,
      clusterName: c.clusterName,
      stores: c.stores,
      numHistoryShards: c.numHistoryShards,
      startCommand: o.startCommand,
      releaseFeed: o.upgradeReleaseFeed,
    }),
  });
}
