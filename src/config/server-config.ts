/**
 * The server's YAML config, in Temporal's shape (`persistence.datastores.<name>.sql`,
 * `services.frontend.rpc.grpcPort`, …), read and checked in one place. Every problem names the key
 * path and what is expected, so a typo is caught before anything starts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { resolvePlugin } from '../persistence/plugins';
import { DEFAULT_MAX_CONNS, DEFAULT_PORTS, type SqlConnectConfig } from '../persistence/sql-config';
import { GlobalConfigError, parseGlobalConfig, type GlobalConfig } from './global-config';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ServerConfig {
  readonly file: string;
  readonly defaultStore: SqlConnectConfig;
  readonly visibilityStore: SqlConnectConfig;
  readonly numHistoryShards: number;
  readonly grpcPort: number;
  readonly bindOnIP: string;
  readonly clusterName: string;
  readonly logLevel: string;
  /** the Web UI (top-level `ui:` section; Temporal's own config has none, its UI is a separate server) */
  readonly ui: UiConfig;
  /** `upgrade.releaseFeed` (URL or file) and how often to check it; none configured: no check, no traffic */
  readonly upgrade: { readonly releaseFeed: string | undefined; readonly releaseFeedCheckIntervalSeconds: number; readonly dataRewriteRowsPerSecond: number };
  /**
   * Temporal's keys for several processes on one database: services.{history,matching}.rpc.{grpcPort,
   * bindOnIP}, global.membership.{maxJoinDuration,broadcastAddress}, and ours,
   * global.membership.memberExpiry (how long a silent member keeps its shards: the failover time).
   * A role section left out listens on a free port (a config with only the frontend keeps working).
   */
  readonly cluster: ClusterConfig;
  /** `limits.maxReceiveMessageSize` / `limits.maxMetadataSize` (bytes): the gRPC frontend's, checked before decoding */
  readonly limits: { readonly maxReceiveMessageBytes: number; readonly maxMetadataBytes: number };
  /**
   * `history.cacheMaxSize` (executions whose mutable state is kept in memory) and
   * `history.eventsCacheMaxSizeBytes` (bytes of stored history kept in memory; 0 turns it off):
   * Temporal's dynamic config names for its history caches, here process-wide. Absent: the defaults.
   */
  readonly historyCaches: { readonly mutableStates: number | undefined; readonly historyBytes: number | undefined };
  /** `global` (TLS, authorization, membership), checked for keys we do not implement, as `services` is */
  readonly global: GlobalConfig;
  readonly notes: readonly string[];
}

export interface ClusterConfig {
  readonly historyPort: number;
  readonly matchingPort: number;
  readonly bindOnIP: string | undefined;
  readonly broadcastAddress: string | undefined;
  readonly maxJoinDurationMs: number;
  readonly memberExpiryMs: number;
}

export interface UiConfig {
  /** `ui.enabled` (default true); `server start --headless` turns it off too */
  readonly enabled: boolean;
  /** `ui.port` (default 8233) */
  readonly port: number;
  /** `ui.bindOnIP` (default: services.frontend.rpc.bindOnIP) */
  readonly bindOnIP: string;
  /** `ui.releaseFeed`: a local release feed file for the upgrade banner (see src/ui/server/version-info.ts) */
  readonly releaseFeed: string | undefined;
  /** `ui.allowedHosts`: host names the UI answers to besides localhost and its bound address (DNS-rebinding guard) */
  readonly allowedHosts: readonly string[];
  /** `ui.tls.{certFile,keyFile}`: serve the UI over HTTPS */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** `ui.authToken`: the token (a JWT) the UI's own gRPC client sends when authorization is on */
  readonly authToken: string | undefined;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new ConfigError(`${path} must be a mapping (key: value lines)`);
  return v;
}

function str(o: Obj, key: string, path: string, required: true): string;
function str(o: Obj, key: string, path: string, required?: boolean): string | undefined;
function str(o: Obj, key: string, path: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new ConfigError(`${path}.${key} is missing`);
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${path}.${key} must be a string`);
  return String(v);
}

function strList(o: Obj, key: string, path: string): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'string' || !e)) throw new ConfigError(`${path}.${key} must be a list of non-empty strings`);
  return v as string[];
}

function int(o: Obj, key: string, path: string, dflt: number, min: number, max: number): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${path}.${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  return n;
}

function bool(o: Obj, key: string, path: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${path}.${key} must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

/** A duration as Temporal's config writes it ("30s", "500ms", "1m", "1h"); a bare number is seconds. */
function duration(o: Obj, key: string, path: string, dfltMs: number, minMs: number, maxMs: number): number {
  const v = o[key];
  if (v === undefined || v === null) return dfltMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(v).trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs)
    throw new ConfigError(`${path}.${key} must be a duration such as "10s" or "500ms", from ${minMs} ms to ${maxMs} ms (got ${JSON.stringify(v)})`);
  return Math.round(ms);
}

/** services.<role>.rpc of a history or matching role: its port (Temporal's default when the section is there, a free one when not). */
function roleRpc(services: Obj, role: 'history' | 'matching', dfltPort: number): { port: number; bindOnIP: string | undefined } {
  if (services[role] === undefined || services[role] === null) return { port: 0, bindOnIP: undefined };
  const sec = obj(services[role], `services.${role}`);
  const rpc = sec.rpc === undefined || sec.rpc === null ? {} : obj(sec.rpc, `services.${role}.rpc`);
  // membershipPort is accepted for Temporal's configs; membership goes through the database here
  int(rpc, 'membershipPort', `services.${role}.rpc`, 0, 0, 65535);
  return { port: int(rpc, 'grpcPort', `services.${role}.rpc`, dfltPort, 0, 65535), bindOnIP: str(rpc, 'bindOnIP', `services.${role}.rpc`) };
}

function parseDatastore(name: string, ds: unknown, notes: string[]): SqlConnectConfig {
  const path = `persistence.datastores.${name}`;
  const d = obj(ds, path);
  if (d.cassandra !== undefined)
    throw new ConfigError(`${path}.cassandra: temporal-ts stores data in SQL databases only (sqlite, postgres12, mysql8); use ${path}.sql`);
  if (d.elasticsearch !== undefined) throw new ConfigError(`${path}.elasticsearch: visibility on Elasticsearch is not supported; use ${path}.sql`);
  const sql = obj(d.sql, `${path}.sql`);
  const p = `${path}.sql`;
  const pluginText = str(sql, 'pluginName', p, true);
  let plugin;
  try {
    const r = resolvePlugin(pluginText);
    plugin = r.plugin;
    if (r.note) notes.push(r.note);
  } catch (err) {
    throw new ConfigError(`${p}.pluginName: ${(err as Error).message}`);
  }
  const databaseName = str(sql, 'databaseName', p, true);
  let host = '127.0.0.1';
  let port = DEFAULT_PORTS[plugin];
  const addr = str(sql, 'connectAddr', p, plugin !== 'sqlite');
  if (addr && plugin !== 'sqlite') {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(addr);
    if (!m) throw new ConfigError(`${p}.connectAddr "${addr}" must be host:port`);
    host = m[1]!.replace(/^\[|\]$/g, '');
    if (m[2]) port = Number(m[2]);
  }
  const attrs = sql.connectAttributes === undefined ? undefined : obj(sql.connectAttributes, `${p}.connectAttributes`);
  const tls = sql.tls === undefined ? undefined : obj(sql.tls, `${p}.tls`);
  return {
    pluginName: plugin,
    host,
    port,
    user: str(sql, 'user', p),
    password: str(sql, 'password', p),
    databaseName,
    connectAttributes: attrs ? Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v)])) : undefined,
    maxConns: sql.maxConns === undefined || sql.maxConns === null ? undefined : int(sql, 'maxConns', p, DEFAULT_MAX_CONNS, 1, 1000),
    tls: tls
      ? {
          enabled: bool(tls, 'enabled', `${p}.tls`, false),
          certFile: str(tls, 'certFile', `${p}.tls`),
          keyFile: str(tls, 'keyFile', `${p}.tls`),
          caFile: str(tls, 'caFile', `${p}.tls`),
          serverName: str(tls, 'serverName', `${p}.tls`),
          disableHostVerification: !bool(tls, 'enableHostVerification', `${p}.tls`, true),
        }
      : undefined,
  };
}

export function loadServerConfig(file: string): ServerConfig {
  if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  try {
    return fromDocument(file, doc);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`);
    throw err;
  }
}

function fromDocument(file: string, doc: unknown): ServerConfig {
  const root = obj(doc, '(top level)');
  const persistence = obj(root.persistence, 'persistence');
  const datastores = obj(persistence.datastores, 'persistence.datastores');
  const defaultName = str(persistence, 'defaultStore', 'persistence', true);
  const visibilityName = str(persistence, 'visibilityStore', 'persistence', true);
  for (const [key, name] of [
    ['defaultStore', defaultName],
    ['visibilityStore', visibilityName],
  ] as [string, string][]) {
    if (!(name in datastores))
      throw new ConfigError(`persistence.${key} names "${name}", but persistence.datastores has only ${Object.keys(datastores).join(', ') || 'nothing'}`);
  }
  if (defaultName === visibilityName) {
    throw new ConfigError('persistence.defaultStore and persistence.visibilityStore must name two datastores: the stores have separate schemas and versions');
  }
  const notes: string[] = [];
  const defaultStore = parseDatastore(defaultName, datastores[defaultName], notes);
  const visibilityStore = parseDatastore(visibilityName, datastores[visibilityName], notes);
  if (
    defaultStore.pluginName !== 'sqlite' &&
    defaultStore.pluginName === visibilityStore.pluginName &&
    defaultStore.host === visibilityStore.host &&
    defaultStore.port === visibilityStore.port &&
    defaultStore.databaseName === visibilityStore.databaseName
  ) {
    throw new ConfigError(
      `the default and visibility datastores point at the same database "${defaultStore.databaseName}"; give each store its own database (e.g. temporal and temporal_visibility)`,
    );
  }
  const services = root.services === undefined ? {} : obj(root.services, 'services');
  let global: GlobalConfig;
  try {
    global = parseGlobalConfig(root.global, root.services);
  } catch (err) {
    if (err instanceof GlobalConfigError) throw new ConfigError(err.message);
    throw err;
  }
  const frontend = services.frontend === undefined ? {} : obj(services.frontend, 'services.frontend');
  const rpc = frontend.rpc === undefined ? {} : obj(frontend.rpc, 'services.frontend.rpc');
  const cm = root.clusterMetadata === undefined ? {} : obj(root.clusterMetadata, 'clusterMetadata');
  const log = root.log === undefined ? {} : obj(root.log, 'log');
  const level = str(log, 'level', 'log') ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(level))
    throw new ConfigError(`log.level "${level}" must be one of debug, info, warn, error`);
  const ui = root.ui === undefined || root.ui === null ? {} : obj(root.ui, 'ui');
  const upgrade = root.upgrade === undefined || root.upgrade === null ? {} : obj(root.upgrade, 'upgrade');
  const bindOnIP = str(rpc, 'bindOnIP', 'services.frontend.rpc') ?? '127.0.0.1';
  int(rpc, 'membershipPort', 'services.frontend.rpc', 6933, 0, 65535);
  const history = roleRpc(services, 'history', 7234);
  const matching = roleRpc(services, 'matching', 7235);
  // global.membership's keys were checked by parseGlobalConfig; read here with their bounds
  const membership = isObj(root.global) && isObj(root.global.membership) ? root.global.membership : {};
  if (history.bindOnIP && matching.bindOnIP && history.bindOnIP !== matching.bindOnIP)
    throw new ConfigError(
      `services.history.rpc.bindOnIP (${history.bindOnIP}) and services.matching.rpc.bindOnIP (${matching.bindOnIP}) must be the same address`,
    );
  if (history.port !== 0 && history.port === matching.port)
    throw new ConfigError(`services.history.rpc.grpcPort and services.matching.rpc.grpcPort are both ${history.port}: each role needs its own port`);
  const limits = root.limits === undefined || root.limits === null ? {} : obj(root.limits, 'limits');
  const historyCaches = parseHistoryCaches(root.history);
  return {
    file,
    defaultStore,
    visibilityStore,
    numHistoryShards: int(persistence, 'numHistoryShards', 'persistence', 4, 1, 65536),
    grpcPort: int(rpc, 'grpcPort', 'services.frontend.rpc', 7233, 1, 65535),
    bindOnIP,
    clusterName: str(cm, 'currentClusterName', 'clusterMetadata') ?? 'active',
    logLevel: level,
    ui: {
      enabled: bool(ui, 'enabled', 'ui', true),
      port: int(ui, 'port', 'ui', 8233, 0, 65535),
      bindOnIP: str(ui, 'bindOnIP', 'ui') ?? bindOnIP,
      releaseFeed: str(ui, 'releaseFeed', 'ui'),
      allowedHosts: strList(ui, 'allowedHosts', 'ui'),
      tls: uiTls(ui),
      authToken: str(ui, 'authToken', 'ui'),
    },
    upgrade: {
      releaseFeed: str(upgrade, 'releaseFeed', 'upgrade'),
      releaseFeedCheckIntervalSeconds: int(upgrade, 'releaseFeedCheckIntervalSeconds', 'upgrade', 86_400, 60, 31_536_000),
      // rows per second the background data-format rewrite may look at
      dataRewriteRowsPerSecond: int(upgrade, 'dataRewriteRowsPerSecond', 'upgrade', 1000, 1, 1_000_000),
    },
    cluster: {
      historyPort: history.port,
      matchingPort: matching.port,
      bindOnIP: history.bindOnIP ?? matching.bindOnIP,
      broadcastAddress: str(membership, 'broadcastAddress', 'global.membership'),
      maxJoinDurationMs: duration(membership, 'maxJoinDuration', 'global.membership', 30_000, 1000, 3_600_000),
      memberExpiryMs: duration(membership, 'memberExpiry', 'global.membership', 10_000, 1000, 600_000),
    },
    limits: {
      maxReceiveMessageBytes: int(limits, 'maxReceiveMessageSize', 'limits', 4 * 1024 * 1024, 1024, 128 * 1024 * 1024),
      maxMetadataBytes: int(limits, 'maxMetadataSize', 'limits', 64 * 1024, 1024, 16 * 1024 * 1024),
    },
    historyCaches,
    global,
    notes,
  };
}

const HISTORY_KEYS = ['cacheMaxSize', 'eventsCacheMaxSizeBytes'];

function parseHistoryCaches(section: unknown): ServerConfig['historyCaches'] {
  if (section === undefined || section === null) return { mutableStates: undefined, historyBytes: undefined };
  const h = obj(section, 'history');
  const unknown = Object.keys(h).filter((k) => !HISTORY_KEYS.includes(k));
  if (unknown.length > 0) throw new ConfigError(`history.${unknown[0]} is not a key temporal-ts knows; the history section takes ${HISTORY_KEYS.join(', ')}`);
  const optional = (key: string, min: number, max: number): number | undefined =>
    h[key] === undefined || h[key] === null ? undefined : int(h, key, 'history', 0, min, max);
  return { mutableStates: optional('cacheMaxSize', 1, 10_000_000), historyBytes: optional('eventsCacheMaxSizeBytes', 0, 64 * 1024 * 1024 * 1024) };
}

function uiTls(ui: Obj): UiConfig['tls'] {
  if (ui.tls === undefined || ui.tls === null) return undefined;
  const t = obj(ui.tls, 'ui.tls');
  return { certFile: str(t, 'certFile', 'ui.tls', true), keyFile: str(t, 'keyFile', 'ui.tls', true) };
}
