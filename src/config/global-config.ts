/**
 * The `global` and `services` sections of the server config, in Temporal's key names: TLS
 * (`global.tls.{refreshInterval,frontend,internode}`), authorization (`global.authorization`), the
 * membership keys of a cluster, and each service's rpc keys. A key under `global` or `services`
 * that temporal-ts does not implement is an error naming it: a config written for Temporal that
 * asks for something we do not do (metrics, pprof, a custom authorizer) must not start silently.
 */

export class GlobalConfigError extends Error {
  override name = 'GlobalConfigError';
}

/** `global.tls.<group>.server`, as Temporal names the keys. */
export interface ServerTlsConfig {
  certFile?: string;
  keyFile?: string;
  /** base64 of the PEM (Temporal's certData) */
  certData?: string;
  keyData?: string;
  clientCaFiles?: readonly string[];
  clientCaData?: readonly string[];
  requireClientAuth?: boolean;
}

/** `global.tls.<group>.client`: how our own clients (the Web UI's connection) verify the server. */
export interface ClientTlsConfig {
  serverName?: string;
  disableHostVerification?: boolean;
  rootCaFiles?: readonly string[];
  rootCaData?: readonly string[];
}

export interface TlsGroupConfig {
  server?: ServerTlsConfig;
  client?: ClientTlsConfig;
}

export interface TlsConfig {
  /** `global.tls.refreshInterval`: how often changed certificate files are looked for (default 1m) */
  refreshIntervalMs: number;
  frontend?: TlsGroupConfig;
  /** accepted for the processes of a cluster (history, matching); checked the same way */
  internode?: TlsGroupConfig;
}

export interface AuthorizationConfig {
  keySourceURIs: readonly string[];
  /** `jwtKeyProvider.refreshInterval` (default 1m) */
  refreshIntervalMs: number;
  /** `permissionsClaimName` (default "permissions") */
  permissionsClaimName: string;
}

export interface GlobalConfig {
  tls: TlsConfig;
  authorization?: AuthorizationConfig;
  membership: { maxJoinDuration?: string; broadcastAddress?: string };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A tree of the keys we implement: `true` is a leaf; an object, a section with these keys. */
type KeyTree = { [key: string]: true | KeyTree };

const RPC: KeyTree = { grpcPort: true, membershipPort: true, bindOnIP: true, httpPort: true };
const SERVER_TLS: KeyTree = { certFile: true, keyFile: true, certData: true, keyData: true, clientCaFiles: true, clientCaData: true, requireClientAuth: true };
const CLIENT_TLS: KeyTree = { serverName: true, disableHostVerification: true, rootCaFiles: true, rootCaData: true, forceTLS: true };
const GROUP: KeyTree = { server: SERVER_TLS, client: CLIENT_TLS };

export const KNOWN_GLOBAL_KEYS: KeyTree = {
  tls: { refreshInterval: true, frontend: GROUP, internode: GROUP },
  authorization: {
    jwtKeyProvider: { keySourceURIs: true, refreshInterval: true },
    permissionsClaimName: true,
    authorizer: true,
    claimMapper: true,
  },
  membership: { maxJoinDuration: true, broadcastAddress: true, memberExpiry: true },
};

export const KNOWN_SERVICES_KEYS: KeyTree = {
  frontend: { rpc: RPC },
  history: { rpc: RPC },
  matching: { rpc: RPC },
};

/** Throws naming the first key of `v` (at `path`) that `tree` does not have. */
export function checkKnownKeys(v: unknown, tree: KeyTree, path: string): void {
  if (v === undefined || v === null) return;
  if (!isObj(v)) throw new GlobalConfigError(`${path} must be a mapping (key: value lines)`);
  for (const [k, sub] of Object.entries(v)) {
    const known = tree[k];
    if (known === undefined) {
      throw new GlobalConfigError(
        `${path}.${k} is not supported by temporal-ts (known here: ${Object.keys(tree).join(', ')}); remove it, or see the README's configuration and Security sections`,
      );
    }
    if (known !== true) checkKnownKeys(sub, known, `${path}.${k}`);
  }
}

/** A Go duration ("1m", "30s", "1h30m", "500ms") in milliseconds. */
export function parseGoDuration(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000; // a bare number: seconds
  const text = typeof v === 'string' ? v.trim() : '';
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(text)) !== null) {
    ms += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  if (!text || at !== text.length) throw new GlobalConfigError(`${path} "${String(v)}" is not a duration (for example 30s, 1m, 1h30m)`);
  return ms;
}

function strList(o: Obj, key: string, path: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((e) => typeof e !== 'string' || !e)) throw new GlobalConfigError(`${path}.${key} must be a list of non-empty strings`);
  return list as string[];
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new GlobalConfigError(`${path}.${key} must be a string`);
  return v;
}

function optBool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new GlobalConfigError(`${path}.${key} must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

function serverTls(v: unknown, path: string): ServerTlsConfig | undefined {
  if (!isObj(v)) return undefined;
  const c: ServerTlsConfig = {
    certFile: optStr(v, 'certFile', path),
    keyFile: optStr(v, 'keyFile', path),
    certData: optStr(v, 'certData', path),
    keyData: optStr(v, 'keyData', path),
    clientCaFiles: strList(v, 'clientCaFiles', path),
    clientCaData: strList(v, 'clientCaData', path),
    requireClientAuth: optBool(v, 'requireClientAuth', path),
  };
  // an empty section (all keys blank, as Temporal's sample configs have) is no TLS
  return c.certFile || c.keyFile || c.certData || c.keyData || c.clientCaFiles?.length || c.clientCaData?.length || c.requireClientAuth ? c : undefined;
}

function clientTls(v: unknown, path: string): ClientTlsConfig | undefined {
  if (!isObj(v)) return undefined;
  return {
    serverName: optStr(v, 'serverName', path),
    disableHostVerification: optBool(v, 'disableHostVerification', path),
    rootCaFiles: strList(v, 'rootCaFiles', path),
    rootCaData: strList(v, 'rootCaData', path),
  };
}

function group(v: unknown, path: string): TlsGroupConfig | undefined {
  if (!isObj(v)) return undefined;
  const server = serverTls(v.server, `${path}.server`);
  const client = clientTls(v.client, `${path}.client`);
  return server || client ? { server, client } : undefined;
}

/** Parses and checks `global` and `services` (the latter's values are read by server-config.ts). */
export function parseGlobalConfig(global: unknown, services: unknown): GlobalConfig {
  checkKnownKeys(global, KNOWN_GLOBAL_KEYS, 'global');
  checkKnownKeys(services, KNOWN_SERVICES_KEYS, 'services');
  const g = isObj(global) ? global : {};
  const tls = isObj(g.tls) ? g.tls : {};
  const out: GlobalConfig = {
    tls: {
      refreshIntervalMs:
        tls.refreshInterval === undefined || tls.refreshInterval === null ? 60_000 : parseGoDuration(tls.refreshInterval, 'global.tls.refreshInterval'),
      frontend: group(tls.frontend, 'global.tls.frontend'),
      internode: group(tls.internode, 'global.tls.internode'),
    },
    membership: isObj(g.membership)
      ? {
          maxJoinDuration: optStr(g.membership, 'maxJoinDuration', 'global.membership'),
          broadcastAddress: optStr(g.membership, 'broadcastAddress', 'global.membership'),
        }
      : {},
  };
  if (out.tls.refreshIntervalMs < 100) throw new GlobalConfigError('global.tls.refreshInterval must be at least 100ms');
  if (isObj(g.authorization)) {
    const a = g.authorization;
    const p = 'global.authorization';
    for (const k of ['authorizer', 'claimMapper'] as const) {
      const v = optStr(a, k, p);
      if (v !== undefined && v !== 'default')
        throw new GlobalConfigError(`${p}.${k} "${v}" is not supported: temporal-ts has Temporal's default ${k} only (write "default" or leave it out)`);
    }
    const jwt = isObj(a.jwtKeyProvider) ? a.jwtKeyProvider : {};
    const uris = strList(jwt, 'keySourceURIs', `${p}.jwtKeyProvider`) ?? [];
    const authorizerOn = optStr(a, 'authorizer', p) === 'default' || optStr(a, 'claimMapper', p) === 'default';
    if (authorizerOn || uris.length) {
      if (uris.length === 0)
        throw new GlobalConfigError(
          `${p}.jwtKeyProvider.keySourceURIs is empty: the default claim mapper needs the JWKS (file:// or https://) the tokens are signed with`,
        );
      for (const [i, u] of uris.entries()) {
        if (!/^(file|https?):\/\//.test(u))
          throw new GlobalConfigError(`${p}.jwtKeyProvider.keySourceURIs[${i}] "${u}" must be a file://, http:// or https:// URI`);
      }
      out.authorization = {
        keySourceURIs: uris,
        refreshIntervalMs:
          jwt.refreshInterval === undefined || jwt.refreshInterval === null
            ? 60_000
            : parseGoDuration(jwt.refreshInterval, `${p}.jwtKeyProvider.refreshInterval`),
        permissionsClaimName: optStr(a, 'permissionsClaimName', p) ?? 'permissions',
      };
    }
  }
  return out;
}
