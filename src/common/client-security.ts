/**
 * How a client of ours (the CLI, `simulate`, the Web UI's own connection) reaches a frontend that
 * has TLS or authorization on: the `temporal` CLI's flags (--tls, --tls-cert-path, --tls-key-path,
 * --tls-ca-path, --tls-server-name, --tls-disable-host-verification, --api-key) and their
 * TEMPORAL_TLS_* / TEMPORAL_API_KEY variables, turned into @temporalio/client ConnectionOptions.
 * Files are read here, so a missing or unreadable one is an error naming its flag.
 */
import { readFileSync } from 'node:fs';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import type { ConnectionOptions } from '@temporalio/client';

export interface ClientSecurityOptions {
  /** TLS on (also implied by any other TLS option, as in the `temporal` CLI); false: plaintext even with them */
  tls?: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsCaPath?: string;
  tlsServerName?: string;
  tlsDisableHostVerification?: boolean;
  /** sent as `authorization: Bearer <key>` on every call */
  apiKey?: string;
}

export class ClientSecurityError extends Error {
  override name = 'ClientSecurityError';
}

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ClientSecurityError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Whether these options ask for TLS. */
export function tlsWanted(o: ClientSecurityOptions): boolean {
  if (o.tls === false) return false;
  return o.tls === true || !!(o.tlsCertPath || o.tlsKeyPath || o.tlsCaPath || o.tlsServerName || o.tlsDisableHostVerification);
}

/** `flags` over `env`: each option from the flag when given, else from the environment. */
export function mergeClientSecurity(flags: ClientSecurityOptions, env: ClientSecurityOptions = clientSecurityFromEnv()): ClientSecurityOptions {
  const out: ClientSecurityOptions = { ...env };
  for (const [k, v] of Object.entries(flags) as [keyof ClientSecurityOptions, never][]) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** The security part of ConnectionOptions (merge it into `{ address, ... }`). */
export function clientSecurity(o: ClientSecurityOptions): Pick<ConnectionOptions, 'tls' | 'credentials' | 'channelArgs' | 'metadata'> {
  const out: Pick<ConnectionOptions, 'tls' | 'credentials' | 'channelArgs' | 'metadata'> = {};
  if (o.apiKey) out.metadata = { authorization: `Bearer ${o.apiKey}` };
  if (!tlsWanted(o)) {
    out.tls = false;
    return out;
  }
  if (!!o.tlsCertPath !== !!o.tlsKeyPath) throw new ClientSecurityError('--tls-cert-path and --tls-key-path go together: give both (mTLS) or neither');
  const ca = o.tlsCaPath ? readFlagFile(o.tlsCaPath, '--tls-ca-path') : undefined;
  const crt = o.tlsCertPath ? readFlagFile(o.tlsCertPath, '--tls-cert-path') : undefined;
  const key = o.tlsKeyPath ? readFlagFile(o.tlsKeyPath, '--tls-key-path') : undefined;
  const nameArgs = o.tlsServerName ? { 'grpc.ssl_target_name_override': o.tlsServerName, 'grpc.default_authority': o.tlsServerName } : undefined;
  if (o.tlsDisableHostVerification) {
    // the chain is still verified against the CA; only the name check is skipped
    out.credentials = grpcCredentials.createSsl(ca ?? null, key ?? null, crt ?? null, { checkServerIdentity: () => undefined });
    if (nameArgs) out.channelArgs = nameArgs;
    return out;
  }
  out.tls = {
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(o.tlsServerName ? { serverNameOverride: o.tlsServerName } : {}),
  };
  return out;
}

/**
 * The `temporal` CLI's environment variables (TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME,
 * TEMPORAL_TLS_DISABLE_HOST_VERIFICATION, TEMPORAL_API_KEY; the older TEMPORAL_TLS_CERT/KEY/CA too).
 * Flags win over these.
 */
export function clientSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): ClientSecurityOptions {
  const b = (v: string | undefined) => (v === undefined || v === '' ? undefined : !['0', 'false', 'no'].includes(v.toLowerCase()));
  return {
    tls: b(env.TEMPORAL_TLS),
    tlsCertPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH || env.TEMPORAL_TLS_CERT || undefined,
    tlsKeyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH || env.TEMPORAL_TLS_KEY || undefined,
    tlsCaPath: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH || env.TEMPORAL_TLS_CA || undefined,
    tlsServerName: env.TEMPORAL_TLS_SERVER_NAME || undefined,
    tlsDisableHostVerification: b(env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION),
    apiKey: env.TEMPORAL_API_KEY || undefined,
  };
}

/** For a worker's NativeConnection (Rust core): the same options, except that host verification cannot be skipped there. */
export function nativeClientSecurity(o: ClientSecurityOptions): { tls?: Exclude<ConnectionOptions['tls'], boolean | null>; metadata?: Record<string, string> } {
  if (o.tlsDisableHostVerification && tlsWanted(o))
    throw new ClientSecurityError(
      "--tls-disable-host-verification is not available for a worker's connection; name the certificate's host with --tls-server-name instead",
    );
  const c = clientSecurity(o);
  return { ...(c.tls && typeof c.tls === 'object' ? { tls: c.tls } : {}), ...(c.metadata ? { metadata: c.metadata as Record<string, string> } : {}) };
}
