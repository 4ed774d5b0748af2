/**
 * The background data-format rewrite on real old data: the packed 0.1.0 leaves 300 open workflows
 * whose mutable state is json/v1; after the schema upgrade this release starts, converts them at the
 * configured rate, is SIGKILLed half-way, resumes from its saved cursor without losing or double
 * counting a row, and records completion. Workflows started while it runs are written in the new
 * format and are not counted: its progress (log, status, record) is out of the rows in the old
 * format when it began, never above that total or 100 %. Until then a later minor (which reads v2
 * only) is refused with the version to run; afterwards it may start. Every workflow stays readable
 * throughout.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ENGINES, dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName } from '../helpers/databases';
import { TEMPORAL_TS, freePort, runCli, sqlTool, startCli } from '../helpers/processes';
import { installedRelease } from '../helpers/releases';
import { connectConfig, writeServerConfig, type TestDatabases } from '../helpers/server-config';
import { openPersistence } from '../../src/persistence';
import { shippedVersionedPath } from '../../src/schema/shipped';
import { prepareClusterStart, UpgradeRefusedError } from '../../src/upgrade/cluster-startup';
import { mustParseServerVersion } from '../../src/upgrade/server-version';
import type { RewrittenFormat } from '../../src/upgrade/data-formats';
import { createLogger } from '../../src/common/logger';
import type { UpgradeStatus } from '../../src/upgrade/status';
import { packageVersion } from '../../src/common/package-info';

/**
 * This build rewrites 0.1.0's data only while it is a 0.2.x: from 0.3.0 on, a database last run by
 * 0.1.0 is refused (one minor at a time), and 0.3.0 changes no stored format, so there is nothing of
 * its own to rewrite. The test comes back, aimed at that format, with the next release that changes one.
 */
const NOT_THIS_MINOR =
  mustParseServerVersion(packageVersion()).minor === 2
    ? false
    : `temporal-ts ${packageVersion()} starts only on data 0.2.x ran: the 0.1.0 -> json/v2 rewrite is 0.2.x's (tested with 0.2.0); no format of its own changed`;

const tmp = mkdtempSync(join(tmpdir(), 'data-rewrite-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const WORKFLOWS = 300;
/** started by this release while its rewrite runs: in the new format from the start */
const NEW_WORKFLOWS = 60;
const PROGRESS_LINE = /data format rewrite: (\d+)\/(\d+) rows of mutable state \(executions\.data\) \((\d+)%\)/g;

/** Every progress line of a server's log stays within its total and 100 %. */
function assertProgressWithinTotal(output: string): number {
  const lines = [...output.matchAll(PROGRESS_LINE)];
  for (const [line, done, total, pct] of lines) {
    assert.equal(Number(total), WORKFLOWS, line);
    assert.ok(Number(done) <= Number(total) && Number(pct) <= 100, `progress past its total: ${line}`);
  }
  return lines.length;
}
/** A later minor that reads mutable state v2 and v3 only: what 0.3.0 will be. */
const NEXT_MINOR_FORMATS: RewrittenFormat[] = [
  { store: 'mutable_state', kind: 'mutableState', label: 'mutable state (executions.data)', target: 3, readable: [2, 3] },
];

async function startNextMinor(engine: (typeof ENGINES)[number], db: string): Promise<unknown> {
  const store = await openPersistence(connectConfig(engine, db));
  try {
    return await prepareClusterStart(store, {
      clusterName: 'active',
      numHistoryShards: 4,
      binary: mustParseServerVersion('0.3.0'),
      log: createLogger('silent'),
      formats: NEXT_MINOR_FORMATS,
    });
  } finally {
    await store.close();
  }
}

async function serverVersions(engine: (typeof ENGINES)[number], db: string): Promise<string[]> {
  const store = await openPersistence(connectConfig(engine, db));
  try {
    return (await store.cluster.listServerVersions('active')).map((r) => r.serverVersion);
  } finally {
    await store.close();
  }
}

for (const engine of ENGINES) {
  describe(`data format rewrite on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    const dbs: TestDatabases =
      engine === 'sqlite'
        ? { temporal: join(tmp, `${engine}.db`), visibility: join(tmp, `${engine}-visibility.db`) }
        : { temporal: uniqueDbName('rewrite'), visibility: uniqueDbName('rewrite_vis') };
    after(async () => {
      if (engine !== 'sqlite' && !skip) for (const db of Object.values(dbs)) await dropDatabase(engine, db);
    });

    test(
      '0.1.0 rows are rewritten in the background, across a SIGKILL, and the next minor waits for it',
      { skip: skip || NOT_THIS_MINOR, timeout: 180_000 },
      async () => {
        const release = installedRelease('0.1.0');
        const port = await freePort();
        const address = `127.0.0.1:${port}`;
        // The upgrade page's commands, with 0.1.0's own tool and schema directory.
        for (const store of ['temporal', 'visibility'] as const) {
          const flags = toolConnectionFlags(engine, dbs[store]);
          for (const cmd of [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', `./${shippedVersionedPath(engine, store)}`]]) {
            const r = runCli(release.sqlToolBin, [...flags, ...cmd], {}, release.dir);
            assert.equal(r.status, 0, `0.1.0 ${cmd[0]}: ${r.stderr}`);
          }
        }
        const old = startCli(
          release.serverBin,
          ['server', 'start', '--config', writeServerConfig(tmp, `${engine}-old`, engine, dbs, port), '--headless'],
          {},
          release.dir,
        );
        try {
          await old.waitFor(/listening on/, 60_000);
          const connection = await Connection.connect({ address });
          try {
            const client = new Client({ connection });
            // Started, never polled: each run's mutable state stays as 0.1.0 wrote it (json/v1).
            for (let i = 0; i < WORKFLOWS; i += 30) {
              await Promise.all(
                Array.from({ length: 30 }, (_, j) => client.workflow.start('neverPolled', { taskQueue: 'rewrite-test', workflowId: `rw-${i + j}` })),
              );
            }
          } finally {
            await connection.close();
          }
        } finally {
          assert.equal(await old.stop(), 0, old.output());
        }
        for (const store of ['temporal', 'visibility'] as const) {
          const r = sqlTool([...toolConnectionFlags(engine, dbs[store]), 'update-schema', '-d', `./${shippedVersionedPath(engine, store)}`]);
          assert.equal(r.status, 0, r.stderr);
        }

        // Slowly (50 rows/s), so that the kill lands half-way.
        const slow = writeServerConfig(tmp, `${engine}-slow`, engine, dbs, port, { extra: 'upgrade:\n  dataRewriteRowsPerSecond: 50\n' });
        const first = startCli(TEMPORAL_TS, ['server', 'start', '--config', slow, '--headless']);
        try {
          await first.waitFor(new RegExp(`data format rewrite started: ${WORKFLOWS} rows of mutable state`), 60_000);
          await first.waitFor(/data format rewrite: \d+\/300 rows of mutable state \(executions\.data\) \(\d+%\)/, 30_000);
        } finally {
          await first.stop('SIGKILL');
        }
        const st = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--config', slow, '-o', 'json']);
        assert.equal(st.status, 0, st.stderr);
        const mid = JSON.parse(st.stdout) as UpgradeStatus;
        assert.equal(mid.dataRewrite.state, 'running', mid.dataRewrite.note);
        assert.ok(mid.dataRewrite.done! >= 30 && mid.dataRewrite.done! < WORKFLOWS, `looked at ${mid.dataRewrite.done}`);
        const lastLogged = [...first.output().matchAll(PROGRESS_LINE)].pop()!;
        assert.ok(mid.dataRewrite.done! >= Number(lastLogged[1]), `the status (${mid.dataRewrite.done}) is not behind the log (${lastLogged[0]})`);
        assert.equal(mid.dataRewrite.total, WORKFLOWS);
        assert.match(mid.dataRewrite.note, /rows still in older formats: \d+ in json\/v1/);
        assert.match(mid.nextStep, /keep .* running until the data rewrite is done/);

        // The next minor reads v2 only: refused, naming the version to run, and nothing recorded.
        await assert.rejects(startNextMinor(engine, dbs.temporal), (err: unknown) => {
          assert.ok(err instanceof UpgradeRefusedError);
          assert.match(
            err.message,
            /reads mutable state \(executions\.data\) only in json\/v2, json\/v3, but the background rewrite of that data into json\/v2 has not finished on this database \(it has looked at \d+ of 300 rows\)\. Start 0\.2\.x again/,
          );
          return true;
        });
        assert.ok(!(await serverVersions(engine, dbs.temporal)).includes('0.3.0'));

        // Resumed at the same slow rate, while new workflows are started: they are json/v2 already
        // and are not counted, though the scan passes them.
        const second = startCli(TEMPORAL_TS, ['server', 'start', '--config', slow, '--headless']);
        try {
          await second.waitFor(/data format rewrite resumed: \d+ of 300 rows of mutable state \(executions\.data\) done so far \(\d+%\)/, 60_000);
          const connection = await Connection.connect({ address });
          try {
            const client = new Client({ connection });
            await Promise.all(
              Array.from({ length: NEW_WORKFLOWS }, (_, j) => client.workflow.start('neverPolled', { taskQueue: 'rewrite-test', workflowId: `rw-new-${j}` })),
            );
          } finally {
            await connection.close();
          }
          await second.waitFor(
            /data format rewrite done: 300\/300 rows of mutable state \(executions\.data\) are in json\/v2 \(\d+ rewritten by the background rewrite, \d+ found rewritten already\)/,
            60_000,
          );
          assert.ok(assertProgressWithinTotal(second.output()) >= 1, second.output());
          assertProgressWithinTotal(first.output());
          // Every run is still readable (and was never lost): describe them all through the SDK.
          const connection2 = await Connection.connect({ address });
          try {
            const client = new Client({ connection: connection2 });
            for (let i = 0; i < WORKFLOWS; i += 50) {
              const d = await Promise.all(Array.from({ length: 50 }, (_, j) => client.workflow.getHandle(`rw-${i + j}`).describe()));
              for (const x of d) assert.equal(x.status.name, 'RUNNING');
            }
          } finally {
            await connection2.close();
          }
        } finally {
          assert.equal(await second.stop(), 0, second.output());
        }
        const store = await openPersistence(connectConfig(engine, dbs.temporal));
        try {
          assert.deepEqual([...(await store.dataRewrite.countExecutionsByEncoding()).entries()], [['json/v2', WORKFLOWS + NEW_WORKFLOWS]]);
          const [rec] = await store.dataRewrite.listDataRewrites();
          assert.equal(rec!.rowsTotal, WORKFLOWS, 'the total is the rows in json/v1 when the rewrite began');
          assert.equal(rec!.rowsScanned, WORKFLOWS, 'the resumed rewrite neither skipped nor recounted rows, nor counted the new ones');
          assert.ok(
            rec!.rowsRewritten <= WORKFLOWS && rec!.rowsRewritten >= WORKFLOWS - 10,
            `rewritten ${rec!.rowsRewritten} (a killed batch is found converted)`,
          );
          assert.notEqual(rec!.completedMs, undefined);
        } finally {
          await store.close();
        }
        const done = JSON.parse(runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--config', slow, '-o', 'json']).stdout) as UpgradeStatus;
        assert.equal(done.dataRewrite.state, 'done');
        assert.deepEqual([done.dataRewrite.done, done.dataRewrite.total], [WORKFLOWS, WORKFLOWS], 'status and log agree');
        assert.match(done.dataRewrite.note, /no rows left in older formats/);
        assert.match(done.nextStep, /^nothing to do/);
        // Now the next minor may start.
        await startNextMinor(engine, dbs.temporal);
        assert.ok((await serverVersions(engine, dbs.temporal)).includes('0.3.0'));
      },
    );
  });
}
