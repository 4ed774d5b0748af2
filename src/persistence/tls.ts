/**
 * Turns the tool's and the config's TLS settings into Node TLS options, reading the certificate
 * files up front so that a missing or unreadable file is reported by its flag name.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SqlTlsConfig } from './sql-config';

export class TlsFileError extends Error {
  override name = 'TlsFileError';
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsFileError(`cannot read the ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`);
  }
}

export function tlsOptions(tls: SqlTlsConfig | undefined, host: string): ConnectionOptions | undefined {
  if (!tls?.enabled) return undefined;
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    throw new TlsFileError('--tls-cert-file and --tls-key-file go together: give both (client certificate and its key) or neither');
  }
  const opts: ConnectionOptions = {
    ca: readPem(tls.caFile, 'CA file (--tls-ca-file)'),
    cert: readPem(tls.certFile, 'client certificate (--tls-cert-file)'),
    key: readPem(tls.keyFile, 'client key (--tls-key-file)'),
    servername: tls.serverName || (isIp(host) ? undefined : host),
    rejectUnauthorized: !tls.disableHostVerification,
  };
  return opts;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
