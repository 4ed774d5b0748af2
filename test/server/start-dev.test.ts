/**
 * `temporal-ts server start-dev` (the real binary): creates and upgrades its own SQLite files, keeps
 * them across restarts with --db-filename, and refuses bad flags with a sentence; the flags a
 * `temporal server start-dev` user brings (--search-attribute, --dynamic-config-value, --log-format,
 * --log-level, --metrics-port), a quiet terminal by default and a short banner.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TEMPORAL_TS, freePort, runCli, startCli } from '../helpers/processes';
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';

const tmp = mkdtempSync(join(tmpdir(), 'start-dev-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function storedVersion(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT curr_version AS v FROM schema_version').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

test('start-dev --db-filename creates both stores at the required version and reuses them on restart', async () => {
  const file = join(tmp, 'dev.db');
  for (let round = 0; round < 2; round++) {
    const port = await freePort();
    const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', file, '--port', String(port), '--headless']);
    try {
      await server.waitFor(new RegExp(`gRPC on 127.0.0.1:${port}`));
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    assert.equal(storedVersion(file), formatVersion(requiredVersion('sqlite', 'temporal')));
    assert.equal(storedVersion(join(tmp, 'dev-visibility.db')), formatVersion(requiredVersion('sqlite', 'visibility')));
  }
});

test('start-dev without --db-filename removes its temporary files at exit', async () => {
  const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(await freePort()), '--headless']);
  await server.waitFor(/Data: a temporary file in/);
  const dir = /a temporary file in (\S+) \(removed at exit\)/.exec(server.output());
  assert.ok(dir, server.output());
  assert.equal(existsSync(join(dir[1]!, 'temporal.db')), true);
  assert.equal(await server.stop(), 0);
  assert.equal(existsSync(dir[1]!), false);
});

test('start-dev refuses bad flags', () => {
  const port = runCli(TEMPORAL_TS, ['server', 'start-dev', '--port', 'abc']);
  assert.equal(port.status, 1);
  assert.match(port.stderr, /--port "abc" is not a port number/);
  const level = runCli(TEMPORAL_TS, ['server', 'start-dev', '--log-level', 'loud']);
  assert.equal(level.status, 1);
  assert.match(level.stderr, /Allowed choices are debug, info, warn, error/);
  const dir = runCli(TEMPORAL_TS, ['server', 'start-dev', '--db-filename', '/nonexistent-dir/x.db', '--port', '0']);
  assert.equal(dir.status, 1);
  assert.match(dir.stderr, /the directory \/nonexistent-dir does not exist/);
});

test('a fresh database: the banner (server, UI, metrics, namespaces, data) and nothing else at the default log level; /metrics answers Prometheus text', async () => {
  const [port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(port), '--ui-port', String(uiPort), '--metrics-port', String(metricsPort)]);
  try {
    await server.waitFor(/Data: /, 60_000);
    const lines = server.output().trimEnd().split('\n');
    assert.match(lines[0]!, /^temporal-ts \S+ development server \(not for production\)$/);
    assert.deepEqual(
      lines.slice(2).map((l) => l.trim().replace(/:.*/, '')),
      ['Server', 'Web UI', 'Metrics', 'Namespaces', 'Data'],
      server.output(),
    );
    assert.ok(server.output().includes(`Server: gRPC on 127.0.0.1:${port}\n`));
    assert.ok(server.output().includes(`Web UI: http://127.0.0.1:${uiPort}\n`));
    assert.ok(server.output().includes(`Metrics: http://127.0.0.1:${metricsPort}/metrics\n`));
    assert.doesNotMatch(server.output(), /upgrading|shard metadata|shards rewritten|"level"/);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^temporal_ts_shard_rewrite_shards_total 4$/m);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
  } finally {
    assert.equal(await server.stop(), 0, server.output());
  }
});

test('--log-level info: readable lines by default, JSON with --log-format json; a fresh database logs no shard rewrite progress', async () => {
  for (const format of ['pretty', 'json']) {
    const server = startCli(TEMPORAL_TS, [
      'server',
      'start-dev',
      '--port',
      String(await freePort()),
      '--headless',
      '--log-level',
      'info',
      '--log-format',
      format,
    ]);
    try {
      await server.waitFor(/Data: /, 60_000);
      // the log goes to stderr on its own schedule: the line may follow the banner
      await server.waitFor(/temporal-ts server started/, 30_000);
      const logLines = server
        .output()
        .split('\n')
        .filter((l) => /temporal-ts server started/.test(l));
      assert.equal(logLines.length, 1, server.output());
      if (format === 'json') assert.equal(JSON.parse(logLines[0]!).msg, 'temporal-ts server started');
      else assert.match(logLines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}temporal-ts server started host=127\.0\.0\.1 port=\d+/);
      assert.doesNotMatch(server.output(), /shard metadata rewrite|upgrading/);
    } finally {
      await server.stop();
    }
  }
});

test('--search-attribute NAME=TYPE is registered in every namespace; a restart keeps it; another type for it is refused', async () => {
  const file = join(tmp, 'sa.db');
  const port = await freePort();
  const args = ['server', 'start-dev', '--db-filename', file, '--port', String(port), '--headless', '-n', 'second'];
  const server = startCli(TEMPORAL_TS, [...args, '--search-attribute', 'CustomerId=Keyword', '--search-attribute', 'Score=double']);
  try {
    await server.waitFor(/Data: /, 60_000);
    assert.match(server.output(), /Search attributes: CustomerId \(Keyword\), Score \(Double\)/);
    const conn = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const IVT = temporal.api.enums.v1.IndexedValueType;
      for (const namespace of ['default', 'second']) {
        const custom = (await conn.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
        assert.equal(custom.CustomerId, IVT.INDEXED_VALUE_TYPE_KEYWORD, namespace);
        assert.equal(custom.Score, IVT.INDEXED_VALUE_TYPE_DOUBLE, namespace);
      }
    } finally {
      await conn.close();
    }
  } finally {
    assert.equal(await server.stop(), 0, server.output());
  }
  const again = startCli(TEMPORAL_TS, [...args, '--search-attribute', 'CustomerId=Keyword']);
  try {
    await again.waitFor(/Data: /, 60_000);
  } finally {
    assert.equal(await again.stop(), 0, again.output());
  }
  const clash = startCli(TEMPORAL_TS, [...args, '--search-attribute', 'CustomerId=Int']);
  assert.equal(await clash.exited(), 1);
  assert.match(clash.output(), /error: --search-attribute CustomerId=Int: namespace default already defines CustomerId as INDEXED_VALUE_TYPE_KEYWORD/);
});

test('--dynamic-config-value limit.blobSize.error applies; unknown keys, bad JSON and bad values are refused before anything starts', async () => {
  const port = await freePort();
  const server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(port), '--headless', '--dynamic-config-value', 'limit.blobSize.error=1000']);
  try {
    await server.waitFor(/Data: /, 60_000);
    const conn = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const payload = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(2000, 1) };
      await assert.rejects(
        conn.workflowService.startWorkflowExecution({
          namespace: 'default',
          workflowId: 'big',
          workflowType: { name: 'w' },
          taskQueue: { name: 'q' },
          input: { payloads: [payload] },
          requestId: 'r1',
        }),
        (err: { code?: number; details?: string }) => err.code === 3 && /exceeds the blob size limit/.test(err.details ?? ''),
      );
    } finally {
      await conn.close();
    }
  } finally {
    await server.stop();
  }
  const refused: [string[], RegExp][] = [
    [['--dynamic-config-value', 'frontend.enableSomething=true'], /does not implement the key "frontend\.enableSomething"; it knows limit\.blobSize\.error, /],
    [['--dynamic-config-value', 'limit.blobSize.error=big'], /the value big is not JSON/],
    [['--dynamic-config-value', 'limit.blobSize.error=-5'], /-5 is not a whole number above 0/],
    [['--dynamic-config-value', 'matching.longPollExpirationInterval="soon"'], /"soon" is not a duration/],
    [['--dynamic-config-value', 'novalue'], /must be KEY=JSON_VALUE/],
    [['--search-attribute', 'Bad'], /must be NAME=TYPE/],
    [['--search-attribute', 'X=Float'], /the type "Float" is not one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList/],
    [['--log-format', 'xml'], /Allowed choices are json, pretty/],
    [['--metrics-port', '99999'], /--metrics-port "99999" is not a port number/],
  ];
  for (const [flags, re] of refused) {
    const r = runCli(TEMPORAL_TS, ['server', 'start-dev', '--port', '0', '--headless', ...flags]);
    assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '', 'nothing started');
  }
});
