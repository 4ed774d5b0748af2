/**
 * The frontend's TLS from Temporal's `global.tls.frontend.server` keys: the certificate and key
 * (files, or base64 PEM data), the CAs client certificates are verified with, and whether one is
 * required (mTLS). Files are read and checked at start (a bad file is an error naming its key), then
 * watched: a changed certificate, key or CA file is loaded for new connections within
 * `refreshIntervalMs`, without a restart; a change that does not load keeps the previous one.
 */
import { createSecureContext } from 'node:tls';
import { readFileSync, statSync } from 'node:fs';
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '../common/logger';
import type { ServerTlsConfig } from '../config/global-config';

export type { ServerTlsConfig };

export class TlsConfigError extends Error {
  override name = 'TlsConfigError';
}

interface Material {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
}

function readKeyFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(`${key} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function b64(data: string, key: string): Buffer {
  const b = Buffer.from(data, 'base64');
  if (!b.toString('latin1').includes('-----BEGIN')) throw new TlsConfigError(`${key} must be the base64 of a PEM file (it decodes to no PEM block)`);
  return b;
}

/** Reads and checks the certificate, key and CAs of `c` (`path` names the config section in errors). */
export function loadTlsMaterial(c: ServerTlsConfig, path: string): Material {
  if (c.certFile && c.certData) throw new TlsConfigError(`${path}: give certFile or certData, not both`);
  if (c.keyFile && c.keyData) throw new TlsConfigError(`${path}: give keyFile or keyData, not both`);
  const cert = c.certFile ? readKeyFile(c.certFile, `${path}.certFile`) : c.certData ? b64(c.certData, `${path}.certData`) : undefined;
  const key = c.keyFile ? readKeyFile(c.keyFile, `${path}.keyFile`) : c.keyData ? b64(c.keyData, `${path}.keyData`) : undefined;
  if (!cert || !key) throw new TlsConfigError(`${path}: a server certificate and its key are required (certFile and keyFile, or certData and keyData)`);
  const cas = [
    ...(c.clientCaFiles ?? []).map((f, i) => readKeyFile(f, `${path}.clientCaFiles[${i}]`)),
    ...(c.clientCaData ?? []).map((d, i) => b64(d, `${path}.clientCaData[${i}]`)),
  ];
  if (c.requireClientAuth && cas.length === 0)
    throw new TlsConfigError(`${path}.requireClientAuth is true but no clientCaFiles or clientCaData say which client certificates to accept`);
  const ca = cas.length ? Buffer.concat(cas.flatMap((b) => [b, Buffer.from('\n')])) : undefined;
  try {
    createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new TlsConfigError(`${path}: the certificate, key or CA does not load: ${(err as Error).message}`);
  }
  return { cert, key, ca };
}

function filesOf(c: ServerTlsConfig): string[] {
  return [c.certFile, c.keyFile, ...(c.clientCaFiles ?? [])].filter((f): f is string => !!f);
}

function stamp(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/**
 * A grpc-js certificate provider for both the identity (certificate + key) and the client CA,
 * polling the files' mtimes. One object serves both roles, so grpc-js's argument order does not matter.
 */
class ReloadingProvider implements experimental.CertificateProvider {
  private material: Material;
  private seen: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly ca = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identity = new Set<experimental.IdentityCertificateUpdateListener>();

  constructor(
    private readonly c: ServerTlsConfig,
    private readonly path: string,
    private readonly refreshMs: number,
    private readonly log?: Logger,
  ) {
    this.material = loadTlsMaterial(c, path);
    this.seen = stamp(filesOf(c));
  }

  private start(): void {
    if (this.timer || filesOf(this.c).length === 0) return;
    this.timer = setInterval(() => this.check(), this.refreshMs);
    this.timer.unref();
  }

  private check(): void {
    const now = stamp(filesOf(this.c));
    if (now === this.seen) return;
    try {
      this.material = loadTlsMaterial(this.c, this.path);
      this.seen = now;
      this.log?.info({ section: this.path }, 'TLS certificates reloaded');
    } catch (err) {
      // a certificate written before its key, say: keep serving the previous pair, try again next time
      this.log?.warn({ section: this.path, err: (err as Error).message }, 'changed TLS files do not load yet; the previous ones stay in use');
      return;
    }
    for (const l of this.identity) l({ certificate: this.material.cert, privateKey: this.material.key });
    for (const l of this.ca) l(this.material.ca ? { caCertificate: this.material.ca } : ({} as experimental.CaCertificateUpdate));
  }

  addCaCertificateListener(l: experimental.CaCertificateUpdateListener): void {
    this.ca.add(l);
    this.start();
    // no client CA: an update without one (client certificates are then not verified against anything, nor required)
    l(this.material.ca ? { caCertificate: this.material.ca } : ({} as experimental.CaCertificateUpdate));
  }
  removeCaCertificateListener(l: experimental.CaCertificateUpdateListener): void {
    this.ca.delete(l);
    this.maybeStop();
  }
  addIdentityCertificateListener(l: experimental.IdentityCertificateUpdateListener): void {
    this.identity.add(l);
    this.start();
    l({ certificate: this.material.cert, privateKey: this.material.key });
  }
  removeIdentityCertificateListener(l: experimental.IdentityCertificateUpdateListener): void {
    this.identity.delete(l);
    this.maybeStop();
  }
  private maybeStop(): void {
    if (this.ca.size === 0 && this.identity.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** ServerCredentials for `c`, reloading changed files every `refreshMs`. Throws TlsConfigError naming the bad key. */
export function serverTlsCredentials(c: ServerTlsConfig, path: string, refreshMs: number, log?: Logger): ServerCredentials {
  const provider = new ReloadingProvider(c, path, refreshMs, log);
  const creds = experimental.createCertificateProviderServerCredentials(provider, provider, c.requireClientAuth === true);
  // grpc-js reads the credentials' context when it creates its HTTP/2 server and only then starts
  // watching, so a provider's first certificates would arrive after the first connections were
  // dropped. A watcher of our own makes the provider deliver them now, before the bind.
  (creds as unknown as { _addWatcher(w: (o: unknown) => void): void })._addWatcher(() => undefined);
  return creds;
}
