/**
 * The Web UI's HTTP server against what an attacker (or a broken client) sends, over raw sockets
 * (node:net), to a real `temporal-ts server start-dev` child process: request targets that are no
 * URL, malformed % escapes, Host headers of another site (DNS rebinding), cross-site Origins on
 * state-changing requests, malformed HTTP, oversized bodies, and random mutations of valid requests.
 * After each, the process is still up and answers; each answer is a 4xx/5xx with the security headers.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { TEMPORAL_TS, freePort, startCli, type LongRunning } from '../helpers/processes';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Sends `text` as is and reads until the server closes (or `timeoutMs`: then the answer so far). */
function raw(port: number, text: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => sock.destroy(), timeoutMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = all.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n'), raw: all });
    });
    sock.write(text);
  });
}

const req = (method: string, target: string, headers: Record<string, string> = {}, body = ''): string => {
  const h = { Host: '127.0.0.1', Connection: 'close', ...headers, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) };
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body}`;
};

describe('Web UI HTTP hardening (raw sockets against start-dev)', () => {
  let server: LongRunning;
  let uiPort: number;
  let conn: Connection;
  let client: Client;

  const alive = async (): Promise<void> => {
    assert.equal(server.child.exitCode, null, `the server process exited:\n${server.output()}`);
    const a = await raw(uiPort, req('GET', '/api/v1/namespaces'));
    assert.equal(a.status, 200, a.raw);
  };

  before(async () => {
    const grpcPort = await freePort();
    uiPort = await freePort();
    server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(grpcPort), '--ui-port', String(uiPort), '--log-level', 'warn']);
    await server.waitFor(/Web UI: http:\/\/127\.0\.0\.1:\d+/, 60_000);
    conn = await Connection.connect({ address: `127.0.0.1:${grpcPort}` });
    client = new Client({ connection: conn, namespace: 'default' });
  });

  after(async () => {
    await conn?.close();
    await server?.stop();
  });

  test('a request target that is no URL (the request that used to kill the process) is a 400', async () => {
    for (const target of ['http://a:99999/', 'http://[zz/', 'http://a:99999/api/v1/namespaces', '//a:99999/']) {
      const a = await raw(uiPort, req('GET', target));
      assert.ok(a.status >= 400 && a.status < 500, `${target}: ${a.raw.slice(0, 300)}`);
    }
    // the issue's exact bytes: Host "x" is refused first, and the process stays up either way
    const a = await raw(uiPort, 'GET http://a:99999/ HTTP/1.1\r\nHost: x\r\n\r\n', 3000);
    assert.ok(a.status >= 400 && a.status < 500, a.raw);
    await alive();
  });

  test('a malformed % escape in a path is a 400 naming the segment, never a 500', async () => {
    const a = await raw(uiPort, req('GET', '/api/v1/namespaces/%E0%A4%A/workflows'));
    assert.equal(a.status, 400, a.raw);
    assert.match(JSON.parse(a.body).error.message, /malformed % escape/);
    const b = await raw(uiPort, req('GET', '/release-notes/%ZZ'));
    assert.equal(b.status, 400, b.raw);
    const c = await raw(uiPort, req('GET', '/%'));
    assert.ok(c.status === 200 || c.status === 503, c.raw); // the app's index (or "not built"), not an error
    const d = await raw(uiPort, req('GET', '/assets/%00../../etc/passwd'));
    assert.ok(!d.body.includes('root:'), 'a NUL or traversal must not reach a file outside the assets');
    await alive();
  });

  test('a Host of another site (DNS rebinding) is refused before any route runs; localhost and the bound address are served', async () => {
    for (const host of ['attacker.example', 'attacker.example:8233', '127.0.0.1.attacker.example', 'localhost.attacker.example']) {
      const a = await raw(uiPort, req('GET', '/api/v1/namespaces', { Host: host }));
      assert.equal(a.status, 421, `${host}: ${a.raw}`);
      assert.match(JSON.parse(a.body).error.message, /ui\.allowedHosts/);
    }
    const missing = await raw(uiPort, 'GET /api/v1/namespaces HTTP/1.0\r\n\r\n');
    assert.equal(missing.status, 400, missing.raw);
    for (const host of ['localhost', `localhost:${uiPort}`, `127.0.0.1:${uiPort}`, 'LOCALHOST', 'ui.localhost', '[::1]']) {
      const a = await raw(uiPort, req('GET', '/api/v1/namespaces', { Host: host }));
      assert.equal(a.status, 200, `${host}: ${a.raw.slice(0, 300)}`);
    }
  });

  test('a state-changing request from another Host or Origin changes nothing; from the UI itself it works', async () => {
    const wid = `hardening-${Date.now()}`;
    const h = await client.workflow.start('neverRuns', { taskQueue: 'hardening-none', workflowId: wid });
    const path = `/api/v1/namespaces/default/workflows/${encodeURIComponent(wid)}/terminate`;
    const body = JSON.stringify({ reason: 'attack' });
    const json = { 'Content-Type': 'application/json' };
    const rebinding = await raw(uiPort, req('POST', path, { ...json, Host: 'attacker.example' }, body));
    assert.equal(rebinding.status, 421, rebinding.raw);
    for (const origin of ['http://attacker.example', 'null', 'http://localhost.attacker.example', `http://localhost:${uiPort}x`, 'file://']) {
      const a = await raw(uiPort, req('POST', path, { ...json, Origin: origin }, body));
      assert.equal(a.status, 403, `${origin}: ${a.raw}`);
    }
    const form = await raw(uiPort, req('POST', path, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'reason=attack'));
    assert.equal(form.status, 415, form.raw);
    assert.equal((await h.describe()).status.name, 'RUNNING', 'nothing was terminated');
    const own = await raw(uiPort, req('POST', path, { ...json, Origin: `http://127.0.0.1:${uiPort}` }, body));
    assert.equal(own.status, 200, own.raw);
    assert.equal((await h.describe()).status.name, 'TERMINATED');
  });

  test('every answer carries CSP with frame-ancestors none, nosniff and no framing', async () => {
    for (const target of ['/', '/api/v1/namespaces', '/api/v1/nothing', '/namespaces/default/workflows']) {
      const a = await raw(uiPort, req('GET', target));
      assert.match(a.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, `${target}: ${a.raw.slice(0, 500)}`);
      assert.match(a.headers['content-security-policy'] ?? '', /default-src 'self'/);
      assert.equal(a.headers['x-content-type-options'], 'nosniff', target);
      assert.equal(a.headers['x-frame-options'], 'DENY', target);
    }
    const refused = await raw(uiPort, req('GET', '/', { Host: 'attacker.example' }));
    assert.equal(refused.headers['x-content-type-options'], 'nosniff');
  });

  test('malformed HTTP, bad bodies and oversized input answer 4xx and the process stays up', async () => {
    const cases: [string, string | Buffer, (s: number) => boolean][] = [
      ['garbage request line', 'FOO\r\n\r\n', (s) => s === 400],
      ['header without a colon', 'GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n', (s) => s === 400],
      ['NUL in the request target', 'GET /a\0b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', (s) => s === 400],
      ['huge header', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, (s) => s === 431 || s === 400],
      [
        'bad chunked body',
        'POST /api/v1/namespaces/default/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        (s) => s === 400,
      ],
      [
        'content-length and chunked',
        'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        (s) => s === 400,
      ],
      ['body not JSON', req('POST', '/api/v1/namespaces/default/workflows', { 'Content-Type': 'application/json' }, '{"a":'), (s) => s === 400],
      ['body a JSON array', req('POST', '/api/v1/namespaces/default/workflows', { 'Content-Type': 'application/json' }, '[1,2]'), (s) => s === 400],
      [
        'body with invalid UTF-8',
        Buffer.concat([
          Buffer.from(req('POST', '/api/v1/namespaces/default/workflows/x/signal', { 'Content-Type': 'application/json', 'Content-Length': '14' })),
          Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]),
        ]),
        (s) => s >= 400 && s < 500,
      ],
      ['unknown method', req('BREW', '/api/v1/namespaces'), (s) => s >= 400 && s < 500],
      ['DELETE on the API', req('DELETE', '/api/v1/namespaces/default/workflows/x'), (s) => s === 404],
      ['bad pageSize', req('GET', '/api/v1/namespaces/default/workflows?pageSize=1e99'), (s) => s === 400],
      ['bad nextPageToken', req('GET', '/api/v1/namespaces/default/workflows?nextPageToken=%FF%FE'), (s) => s < 500],
      ['bad runId', req('GET', '/api/v1/namespaces/default/workflows/x?runId=not-a-uuid'), (s) => s === 400],
      ['workflow id with NUL', req('GET', '/api/v1/namespaces/default/workflows/a%00b'), (s) => s >= 400 && s < 500],
    ];
    for (const [name, text, ok] of cases) {
      const a = await raw(uiPort, text, 5000);
      assert.ok(ok(a.status), `${name}: status ${a.status}\n${a.raw.slice(0, 400)}`);
    }
    // a body over the 2 MiB limit: refused once the limit is passed
    const big = await raw(
      uiPort,
      req('POST', '/api/v1/namespaces/default/workflows', { 'Content-Type': 'application/json' }, `{"input":"${'x'.repeat(3 * 1024 * 1024)}"}`),
    );
    assert.ok(big.status === 413 || big.status === 0, big.raw.slice(0, 300)); // 413, or the socket closed mid-upload
    await alive();
  });

  test('fuzz: random mutations of valid requests never get a 5xx other than from the frontend, and never kill the process', async () => {
    let seed = 0x13;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bases = [
      req('GET', '/api/v1/namespaces/default/workflows?pageSize=5&query=WorkflowType%3D%22x%22'),
      req('GET', '/api/v1/namespaces/default/workflows/abc/history?runId=&pageSize=10'),
      req(
        'POST',
        '/api/v1/namespaces/default/workflows',
        { 'Content-Type': 'application/json' },
        '{"workflowType":"t","taskQueue":"q","workflowId":"w","input":"[1]"}',
      ),
      req('POST', '/api/v1/namespaces/default/workflows/abc/signal', { 'Content-Type': 'application/json' }, '{"signalName":"s","input":"{}"}'),
      req('GET', '/release-notes/1.0.0'),
      req('GET', '/assets/index.js'),
    ];
    const junk = ['%', '%0', '\0', '\r\n', ' ', '/..', '\xff', '{', '"', ':', '?', '#', '[', ']', '@', '\\', '%C0%AF', '\t', 'http://a:0/'];
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 20_000 && n < 400) {
      let text = bases[rnd(bases.length)]!;
      for (let k = 1 + rnd(3); k > 0; k--) {
        const at = rnd(text.length);
        const op = rnd(3);
        if (op === 0) text = text.slice(0, at) + junk[rnd(junk.length)] + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rnd(4));
        else text = text.slice(0, at) + String.fromCharCode(rnd(256)) + text.slice(at + 1);
      }
      const a = await raw(uiPort, Buffer.from(text, 'latin1'), 3000);
      n++;
      // 0: the server waited for more bytes (a mutated Content-Length) and we gave up; 502-504 come from the frontend
      assert.ok(a.status === 0 || a.status < 500 || a.status === 503, `mutation ${n} answered ${a.status}:\n${JSON.stringify(text)}\n${a.raw.slice(0, 400)}`);
      assert.equal(server.child.exitCode, null, `the process exited after ${JSON.stringify(text)}:\n${server.output()}`);
    }
    await alive();
  });
});
