/**
 * TLS on the frontend with real certificates made by the test (openssl): `server start-dev
 * --tls-cert-path/--tls-key-path/--tls-ca-path` (mTLS) reached by the official SDK's Connection,
 * by the CLI's --tls-* flags and TEMPORAL_TLS_* variables, and by the Web UI's own client; plaintext,
 * no client certificate and a certificate of another CA are refused. In-process: `global.tls`
 * certificates reloaded when their files change, a bad certificate refused at start naming its key,
 * and the warning for a non-loopback address without TLS.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { TestPki, type CertFiles } from '../helpers/certs';
import { TEMPORAL_TS, freePort, runCli, startCli, type LongRunning } from '../helpers/processes';
import { tempDbFile } from '../engine/harness';
import { startTemporalServer } from '../../src/server/server';

const read = TestPki.read;

async function refused(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(
    (async () => {
      const c = await p;
      // Connection.connect may succeed lazily; a call must then fail
      await (c as Connection).workflowService.getSystemInfo({});
    })(),
    (err: unknown) => {
      assert.ok(err instanceof Error, what);
      return true;
    },
    what,
  );
}

describe('TLS on the frontend (start-dev, mTLS)', () => {
  const pki = new TestPki();
  let ca: CertFiles;
  let server: CertFiles;
  let client: CertFiles;
  let otherClient: CertFiles;
  let dev: LongRunning;
  let port: number;
  let uiPort: number;

  before(async () => {
    ca = pki.ca('test-ca');
    const other = pki.ca('other-ca');
    server = pki.leaf('server', ca, 'server');
    client = pki.leaf('client', ca, 'client');
    otherClient = pki.leaf('intruder', other, 'client');
    port = await freePort();
    uiPort = await freePort();
    dev = startCli(TEMPORAL_TS, [
      'server',
      'start-dev',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--log-level',
      'warn',
      '--tls-cert-path',
      server.cert,
      '--tls-key-path',
      server.key,
      '--tls-ca-path',
      ca.cert,
    ]);
    await dev.waitFor(/Web UI: http/, 60_000);
  });

  after(async () => {
    await dev?.stop();
    rmSync(pki.dir, { recursive: true, force: true });
  });

  test('the SDK connects with the CA and a client certificate; plaintext, no certificate or another CA are refused', async () => {
    assert.match(dev.output(), /gRPC TLS on: client certificates signed by .* required/);
    const conn = await Connection.connect({
      address: `127.0.0.1:${port}`,
      tls: { serverRootCACertificate: read(ca.cert), clientCertPair: { crt: read(client.cert), key: read(client.key) } },
    });
    const info = await conn.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion);
    // the server name is checked: "localhost" is in the certificate, "elsewhere" is not
    const named = await Connection.connect({
      address: `localhost:${port}`,
      tls: { serverRootCACertificate: read(ca.cert), clientCertPair: { crt: read(client.cert), key: read(client.key) } },
    });
    await named.workflowService.getSystemInfo({});
    await named.close();
    await conn.close();
    const opts = { connectTimeout: '3s' } as const;
    await refused(Connection.connect({ ...opts, address: `127.0.0.1:${port}` }), 'plaintext');
    await refused(Connection.connect({ ...opts, address: `127.0.0.1:${port}`, tls: { serverRootCACertificate: read(ca.cert) } }), 'no client certificate');
    await refused(
      Connection.connect({
        ...opts,
        address: `127.0.0.1:${port}`,
        tls: { serverRootCACertificate: read(ca.cert), clientCertPair: { crt: read(otherClient.cert), key: read(otherClient.key) } },
      }),
      'a client certificate of another CA',
    );
    await refused(
      Connection.connect({
        ...opts,
        address: `127.0.0.1:${port}`,
        tls: { serverRootCACertificate: read(ca.cert), serverNameOverride: 'elsewhere', clientCertPair: { crt: read(client.cert), key: read(client.key) } },
      }),
      'a server name the certificate does not have',
    );
    assert.equal(dev.child.exitCode, null, 'the server is still up');
  });

  test('the CLI takes --tls-* flags and TEMPORAL_TLS_* variables; without them it fails with a clear error', () => {
    const address = `127.0.0.1:${port}`;
    const flags = ['--tls-ca-path', ca.cert, '--tls-cert-path', client.cert, '--tls-key-path', client.key];
    const ok = runCli(TEMPORAL_TS, ['operator', 'namespace', 'list', '--address', address, ...flags, '-o', 'json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /"default"/);
    const env = runCli(TEMPORAL_TS, ['operator', 'namespace', 'list', '--address', address, '-o', 'json'], {
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca.cert,
      TEMPORAL_TLS_CLIENT_CERT_PATH: client.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: client.key,
    });
    assert.equal(env.status, 0, env.stderr);
    // the name check skipped: connecting as "elsewhere" works only with --tls-disable-host-verification
    const named = runCli(TEMPORAL_TS, ['operator', 'namespace', 'list', '--address', address, ...flags, '--tls-server-name', 'elsewhere']);
    assert.notEqual(named.status, 0);
    const skipped = runCli(TEMPORAL_TS, [
      'operator',
      'namespace',
      'list',
      '--address',
      address,
      ...flags,
      '--tls-server-name',
      'elsewhere',
      '--tls-disable-host-verification',
    ]);
    assert.equal(skipped.status, 0, skipped.stderr);
    const missing = runCli(TEMPORAL_TS, ['operator', 'namespace', 'list', '--address', address, '--tls-ca-path', join(pki.dir, 'nope.pem')]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /--tls-ca-path .*nope\.pem: no such file/);
    const half = runCli(TEMPORAL_TS, ['operator', 'namespace', 'list', '--address', address, '--tls-cert-path', client.cert]);
    assert.match(half.stderr, /--tls-cert-path and --tls-key-path go together/);
  });

  test("the Web UI's own gRPC client connects with TLS", async () => {
    const res = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { namespaces: { name: string }[] };
    assert.ok(body.namespaces.some((n) => n.name === 'default'));
  });
});

describe('TLS in-process: reload, bad certificates, the exposure warning', () => {
  const pki = new TestPki();
  const db = tempDbFile();

  after(() => {
    db.cleanup();
    rmSync(pki.dir, { recursive: true, force: true });
  });

  test('a changed certificate file is served to new connections without a restart', async () => {
    const ca1 = pki.ca('ca-one');
    const ca2 = pki.ca('ca-two');
    const dir = mkdtempSync(join(tmpdir(), 'tts-reload-'));
    const live = { cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
    const first = pki.leaf('server-one', ca1, 'server');
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    const s = await startTemporalServer({
      persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: db.file },
      port: 0,
      logLevel: 'error',
      tls: { server: { certFile: live.cert, keyFile: live.key }, refreshIntervalMs: 200 },
    });
    try {
      const c1 = await Connection.connect({ address: `127.0.0.1:${s.port}`, tls: { serverRootCACertificate: read(ca1.cert) } });
      await c1.workflowService.getSystemInfo({});
      await c1.close();
      const second = pki.leaf('server-two', ca2, 'server');
      copyFileSync(second.key, live.key);
      copyFileSync(second.cert, live.cert);
      let ok = false;
      for (let i = 0; i < 40 && !ok; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const c2 = await Connection.connect({ address: `127.0.0.1:${s.port}`, tls: { serverRootCACertificate: read(ca2.cert) }, connectTimeout: '2s' }).catch(
          () => undefined,
        );
        ok = !!(await c2?.workflowService.getSystemInfo({}).then(
          () => true,
          () => false,
        ));
        await c2?.close();
      }
      assert.ok(ok, 'the new certificate (of ca-two) is served');
      await refused(
        Connection.connect({ address: `127.0.0.1:${s.port}`, tls: { serverRootCACertificate: read(ca1.cert) }, connectTimeout: '2s' }),
        'the old CA no longer matches',
      );
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a certificate that does not load, or mTLS without a CA, fails the start naming the key', async () => {
    const ca = pki.ca('ca-bad');
    const a = pki.leaf('server-a', ca, 'server');
    const b = pki.leaf('server-b', ca, 'server');
    const base = { persistence: { pluginName: 'sqlite' as const, host: '', port: 0, databaseName: db.file }, port: 0, logLevel: 'error' };
    await assert.rejects(
      startTemporalServer({ ...base, tls: { server: { certFile: a.cert, keyFile: b.key } } }),
      /global\.tls\.frontend\.server: the certificate, key or CA does not load/,
    );
    await assert.rejects(
      startTemporalServer({ ...base, tls: { server: { certFile: join(pki.dir, 'none.pem'), keyFile: a.key } } }),
      /global\.tls\.frontend\.server\.certFile .*: no such file/,
    );
    await assert.rejects(
      startTemporalServer({ ...base, tls: { server: { certFile: a.cert, keyFile: a.key, requireClientAuth: true } } }),
      /requireClientAuth is true but no clientCaFiles or clientCaData/,
    );
    await assert.rejects(
      startTemporalServer({ ...base, tls: { server: { certData: 'bm90IGEgY2VydA==', keyFile: a.key } } }),
      /certData must be the base64 of a PEM file/,
    );
  });

  test('certData/keyData (base64 PEM) work as the files do', async () => {
    const ca = pki.ca('ca-data');
    const srv = pki.leaf('server-data', ca, 'server');
    const s = await startTemporalServer({
      persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: db.file },
      port: 0,
      logLevel: 'error',
      tls: { server: { certData: read(srv.cert).toString('base64'), keyData: read(srv.key).toString('base64') } },
    });
    try {
      const c = await Connection.connect({ address: `127.0.0.1:${s.port}`, tls: { serverRootCACertificate: read(ca.cert) } });
      await c.workflowService.getSystemInfo({});
      await c.close();
    } finally {
      await s.stop();
    }
  });

  test('binding a non-loopback address without TLS prints a warning naming the risk', async () => {
    const port = await freePort();
    const dev = startCli(TEMPORAL_TS, ['server', 'start-dev', '--headless', '--ip', '0.0.0.0', '--port', String(port), '--log-level', 'warn']);
    try {
      await dev.waitFor(/Server: gRPC on/, 60_000);
      assert.match(
        dev.output(),
        /warning: the gRPC frontend listens on 0\.0\.0\.0 without TLS: anyone on the network can read the traffic, and with no authorization/,
      );
    } finally {
      await dev.stop();
    }
    const quiet = startCli(TEMPORAL_TS, ['server', 'start-dev', '--headless', '--port', String(port), '--log-level', 'warn']);
    try {
      await quiet.waitFor(/Server: gRPC on/, 60_000);
      assert.doesNotMatch(quiet.output(), /without TLS/);
    } finally {
      await quiet.stop();
    }
  });
});
