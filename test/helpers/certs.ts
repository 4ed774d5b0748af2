/**
 * Real X.509 certificates for TLS tests, made with the openssl CLI: a CA, server certificates for
 * localhost / 127.0.0.1 / ::1, and client certificates, each signed by the CA it is given.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'tts-pki-'));
  private n = 0;

  private ssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A self-signed CA. */
  ca(name: string): CertFiles {
    const key = join(this.dir, `${name}.key`);
    const cert = join(this.dir, `${name}.pem`);
    this.ssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
    return { cert, key };
  }

  /** A leaf certificate signed by `ca`: a server one (names as subjectAltName) or a client one. */
  leaf(name: string, ca: CertFiles, kind: 'server' | 'client', names: string[] = ['localhost', 'IP:127.0.0.1', 'IP:::1']): CertFiles {
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const cert = join(this.dir, `${name}.pem`);
    const ext = join(this.dir, `${name}.ext`);
    this.ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
    const san = names.map((x) => (x.startsWith('IP:') ? x : `DNS:${x}`)).join(',');
    writeFileSync(
      ext,
      kind === 'server' ? `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n` : `extendedKeyUsage=clientAuth\nsubjectAltName=DNS:${name}\n`,
    );
    this.ssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      String(Date.now() * 100 + ++this.n),
      '-days',
      '2',
      '-out',
      cert,
      '-extfile',
      ext,
    ]);
    return { cert, key };
  }

  static read(f: string): Buffer {
    return readFileSync(f);
  }
}
