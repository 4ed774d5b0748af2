/**
 * The Web UI beside a running frontend: its HTTP server talks to the frontend's gRPC address (never
 * to the database, except for the upgrade status, which reads what `admin upgrade status` reads).
 */
import { readFileSync } from 'node:fs';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import type { ConnectionOptions } from '@temporalio/client';
import type { ClientTlsConfig, ServerTlsConfig } from '../config/global-config';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { loadTlsMaterial } from './tls-credentials';
import type { StoreName } from '../schema/versioned-dir';
import { DatabaseUpgradeStatusProvider, startUiServer, type RunningUiServer } from '../ui/server';
import { readClusterDescription } from './cluster/describe';

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
  /** `ui.tls`: serve HTTPS */
  https?: { certFile: string; keyFile: string };
  /** `ui.authToken`: sent as `authorization: Bearer <token>` by the UI's gRPC client (every UI user acts with it) */
  authToken?: string;
}

export interface WebUiContext {
  /** where the frontend listens */
  frontendHost: string;
  frontendPort: number;
  stores: { store: StoreName; config: SqlConnectConfig }[];
  serverVersion: string;
  clusterName: string;
  numHistoryShards: number;
  /** the frontend's TLS, when on: the UI's client presents the server's certificate and trusts `client.rootCa*` (else the client CAs) */
  frontendTls?: { server: ServerTlsConfig; client?: ClientTlsConfig };
}

/**
 * The UI's connection to its own frontend: with TLS on, it presents the frontend's certificate as its
 * client certificate (the one certificate this process has), trusts `global.tls.frontend.client`'s
 * root CAs (or, without them, the client CAs), and checks the server name only when
 * `client.serverName` says which (it connects to its own listening address).
 */
export function uiFrontendConnection(tls: WebUiContext['frontendTls'], authToken: string | undefined): Omit<ConnectionOptions, 'address'> {
  const out: Omit<ConnectionOptions, 'address'> = {};
  if (authToken) out.metadata = { authorization: `Bearer ${authToken}` };
  if (!tls) return out;
  const m = loadTlsMaterial(tls.server, 'global.tls.frontend.server');
  const roots = [...(tls.client?.rootCaFiles ?? []).map((f) => readFileSync(f)), ...(tls.client?.rootCaData ?? []).map((d) => Buffer.from(d, 'base64'))];
  const root = roots.length ? Buffer.concat(roots) : (m.ca ?? m.cert);
  const checkName = !!tls.client?.serverName && !tls.client.disableHostVerification;
  out.credentials = grpcCredentials.createSsl(root, m.key, m.cert, checkName ? {} : { checkServerIdentity: () => undefined });
  // without a name to check, SNI says "localhost" (an IP address there is deprecated, DEP0123)
  const name = tls.client?.serverName || 'localhost';
  out.channelArgs = { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name };
  return out;
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
    https: o.https,
    frontendConnection: uiFrontendConnection(c.frontendTls, o.authToken),
    clusterMembers: c.stores[0] ? () => readClusterDescription(c.stores[0]!.config) : undefined,
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
