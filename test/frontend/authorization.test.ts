/**
 * Authorization as Temporal's defaults (issue 13): JWTs signed with the test's own keys, whose JWKS
 * a local HTTP server (and a file://) serves; Temporal's roles and API classification; UNAUTHENTICATED
 * for a token that does not verify, PERMISSION_DENIED for a call the roles do not cover (and for no
 * token); a new signing key picked up from the JWKS without a restart; the official SDK with apiKey,
 * the CLI with --api-key / TEMPORAL_API_KEY, and the Web UI with ui.authToken.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { TEMPORAL_TS, REPO_ROOT } from '../helpers/processes';
import { tempDbFile } from '../engine/harness';
import { startTemporalServer, type RunningTemporalServer } from '../../src/server/server';

type GrpcErr = { code?: number; details?: string };
const code = (c: number, re?: RegExp) => (err: GrpcErr) => {
  assert.equal(err.code, c, `expected code ${c}, got ${err.code}: ${err.details}`);
  if (re) assert.match(err.details ?? '', re);
  return true;
};
/** The gRPC error of a call, or of the connect (the SDK's connect calls GetSystemInfo, which a bad token already fails). */
const grpcOf = (err: unknown): GrpcErr => {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++)
    if (typeof e.code === 'number') return e as GrpcErr;
  return {};
};
const DENIED = 7;
const UNAUTHENTICATED = 16;

interface Key {
  kid: string;
  priv: KeyLike;
  jwk: JWK;
}

async function newKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, priv: privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [TEMPORAL_TS, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('authorization (JWT, default claim mapper and authorizer)', () => {
  const db = tempDbFile();
  const jwksFile = join(db.file, '..', 'file-keys.json');
  let httpKeys: JWK[] = [];
  let jwks: Server;
  let server: RunningTemporalServer;
  let keyA: Key;
  let keyB: Key;
  let fileKey: Key;
  let address: string;
  const opened: Connection[] = [];

  const token = async (permissions: unknown, o: { key?: Key; sub?: string | null; exp?: string | number; alg?: string } = {}) => {
    const k = o.key ?? keyA;
    let t = new SignJWT({ permissions: permissions as never }).setProtectedHeader({ alg: o.alg ?? k.jwk.alg!, kid: k.kid }).setIssuedAt();
    if (o.sub !== null) t = t.setSubject(o.sub ?? 'tester');
    t = t.setExpirationTime(o.exp ?? '10m');
    return t.sign(k.priv);
  };
  const connect = async (t?: string) => {
    const c = await Connection.connect({ address, ...(t ? { metadata: { authorization: `Bearer ${t}` } } : {}) });
    opened.push(c);
    return c;
  };
  const startReq = (id: string) => ({ namespace: 'default', workflowId: id, workflowType: { name: 'w' }, taskQueue: { name: 'authz-tq' }, requestId: id });

  before(async () => {
    keyA = await newKey('key-a');
    keyB = await newKey('key-b', 'ES256');
    fileKey = await newKey('key-file', 'ES256');
    httpKeys = [keyA.jwk];
    writeFileSync(jwksFile, JSON.stringify({ keys: [fileKey.jwk] }));
    jwks = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: httpKeys }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    const jwksPort = (jwks.address() as { port: number }).port;
    server = await startTemporalServer({
      persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: db.file },
      port: 0,
      logLevel: 'error',
      namespace: ['other'],
      authorization: {
        keySourceURIs: [`http://127.0.0.1:${jwksPort}/.well-known/jwks.json`, pathToFileURL(jwksFile).href],
        refreshIntervalMs: 60_000,
        permissionsClaimName: 'permissions',
      },
      ui: { port: 0, host: '127.0.0.1', startCommand: 'test', authToken: await token(['system:read', 'default:write']) },
    });
    address = `127.0.0.1:${server.port}`;
  });

  after(async () => {
    for (const c of opened) await c.close();
    await server?.stop();
    jwks?.close();
    db.cleanup();
    rmSync(jwksFile, { force: true });
  });

  test('without a token only the health check (GetSystemInfo) answers; everything else is PERMISSION_DENIED', async () => {
    const c = await connect();
    assert.ok((await c.workflowService.getSystemInfo({})).serverVersion);
    await assert.rejects(c.workflowService.startWorkflowExecution(startReq('no-token')), code(DENIED, /Request unauthorized: no token/));
    await assert.rejects(c.workflowService.describeNamespace({ namespace: 'default' }), code(DENIED));
    await assert.rejects(c.operatorService.listSearchAttributes({ namespace: 'default' }), code(DENIED));
  });

  test('a token that does not verify is UNAUTHENTICATED, naming why', async () => {
    const stranger = await newKey('key-a'); // same kid, another key
    for (const [t, re] of [
      [await token(['system:admin'], { key: stranger }), /signature does not verify/],
      [await token(['system:admin'], { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      [await token(['system:admin'], { key: await newKey('unknown-kid') }), /no configured key/],
      [await token(['system:admin'], { sub: null }), /no "sub" claim/],
      ['not.a.jwt', /not a valid JWT/],
    ] as const) {
      await assert.rejects((async () => (await connect(t)).workflowService.describeNamespace({ namespace: 'default' }))(), (err: unknown) =>
        code(UNAUTHENTICATED, re)(grpcOf(err)),
      );
    }
    await assert.rejects(Connection.connect({ address, metadata: { authorization: 'Basic dXNlcjpwdw==' } }), (err: unknown) =>
      code(UNAUTHENTICATED, /must be "Bearer <token>"/)(grpcOf(err)),
    );
  });

  test("Temporal's roles and API classification decide; nothing is written by a refused call", async () => {
    const read = await connect(await token(['default:read']));
    await read.workflowService.describeNamespace({ namespace: 'default' });
    await read.workflowService.listWorkflowExecutions({ namespace: 'default' }).catch((err: GrpcErr) => assert.notEqual(err.code, DENIED));
    await assert.rejects(
      read.workflowService.startWorkflowExecution(startReq('read-only')),
      code(DENIED, /lacks the permission default:write or system:write/),
    );
    await assert.rejects(read.workflowService.describeNamespace({ namespace: 'other' }), code(DENIED));
    await assert.rejects(read.workflowService.listNamespaces({}), code(DENIED, /system:read/), 'a cluster-scoped API needs a system role');

    const write = await connect(await token(['default:write', 'other:read']));
    await write.workflowService.startWorkflowExecution(startReq('writer'));
    await assert.rejects(write.workflowService.startWorkflowExecution({ ...startReq('writer-other'), namespace: 'other' }), code(DENIED));
    await assert.rejects(write.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { Team: 2 } }), code(DENIED, /default:admin/));
    await assert.rejects(write.workflowService.updateNamespace({ namespace: 'default', updateInfo: { description: 'x' } }), code(DENIED));

    const worker = await connect(await token(['default:worker']));
    // as Temporal's default authorizer: the worker role alone is below read, so polls (write) are refused
    await assert.rejects(worker.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'authz-tq' } }), code(DENIED));

    const nsAdmin = await connect(await token(['default:admin']));
    // allowed (this server has no visibility store, so the answer is FAILED_PRECONDITION, not PERMISSION_DENIED)
    await assert.rejects(nsAdmin.operatorService.listSearchAttributes({ namespace: 'default' }), code(9));
    await nsAdmin.workflowService.updateNamespace({ namespace: 'default', updateInfo: { description: 'by the namespace admin' } });

    const sysRead = await connect(await token(['system:read']));
    await sysRead.workflowService.listNamespaces({});
    await sysRead.workflowService.describeNamespace({ namespace: 'other' });
    await assert.rejects(sysRead.workflowService.startWorkflowExecution(startReq('sys-read')), code(DENIED));

    const admin = await connect(await token(['system:admin', 'junk', 'default:nonsense', 42]));
    await admin.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'writer' } });
    // a refused start wrote nothing
    await assert.rejects(admin.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'read-only' } }), code(5));
    // a key from the file:// source works as well
    const fromFile = await connect(await token(['system:read'], { key: fileKey }));
    await fromFile.workflowService.listNamespaces({});
  });

  test('a new signing key published in the JWKS is picked up without a restart', async () => {
    const t = await token(['system:read'], { key: keyB });
    await assert.rejects(connect(t), (err: unknown) => code(UNAUTHENTICATED, /no configured key/)(grpcOf(err)));
    httpKeys = [keyA.jwk, keyB.jwk];
    await new Promise((r) => setTimeout(r, 5200)); // the on-miss refresh runs at most every 5 s
    const after_ = await connect(t);
    await after_.workflowService.listNamespaces({});
  });

  test('the SDK client with apiKey, the CLI with --api-key and TEMPORAL_API_KEY', async () => {
    const t = await token(['default:write', 'system:read']);
    const conn = await Connection.connect({ address, apiKey: t, tls: false });
    opened.push(conn);
    const client = new Client({ connection: conn, namespace: 'default' });
    const h = await client.workflow.start('anything', { taskQueue: 'authz-tq', workflowId: 'sdk-api-key' });
    await h.terminate();
    const ok = await run(['operator', 'namespace', 'list', '--address', address, '--api-key', t, '--tls=false', '-o', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /"other"/);
    const env = await run(['operator', 'namespace', 'list', '--address', address, '--tls=false', '-o', 'json'], { TEMPORAL_API_KEY: t });
    assert.equal(env.code, 0, env.stderr);
    const none = await run(['operator', 'namespace', 'list', '--address', address]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /Request unauthorized: no token .*PERMISSION_DENIED/);
    const bad = await run(['operator', 'namespace', 'list', '--address', address, '--tls=false', '--api-key', 'nonsense']);
    assert.match(bad.stderr, /UNAUTHENTICATED\): pass a token with --api-key/);
  });

  test("the Web UI's client sends ui.authToken (its roles are every UI user's)", async () => {
    const ns = await fetch(`http://127.0.0.1:${server.ui!.port}/api/v1/namespaces`);
    assert.equal(ns.status, 200, await ns.clone().text());
    // the UI's token has default:write but no admin: a namespace it cannot read is refused, as the token is
    const other = await fetch(`http://127.0.0.1:${server.ui!.port}/api/v1/namespaces/other/workflows/x/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"reason":"from the UI"}',
    });
    assert.equal(other.status, 403, await other.clone().text());
  });

  test('a key source that cannot be read fails the start, naming it', async () => {
    const db2 = tempDbFile();
    try {
      await assert.rejects(
        startTemporalServer({
          persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: db2.file },
          port: 0,
          logLevel: 'error',
          authorization: { keySourceURIs: ['file:///nonexistent/jwks.json'], refreshIntervalMs: 60_000, permissionsClaimName: 'permissions' },
        }),
        /keySourceURIs: file:\/\/\/nonexistent\/jwks\.json cannot be read/,
      );
    } finally {
      db2.cleanup();
    }
  });
});
