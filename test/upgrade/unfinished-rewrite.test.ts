/**
 * 0.2.0's release notes promised "0.3.x refuses to start until the 0.2.x data rewrite is done", and
 * this build reads only the formats 0.2.x writes (mutable state json/v2). With the real releases:
 * the packed 0.1.0 leaves 300 open workflows in json/v1; the packed 0.2.0 starts rewriting them
 * (slowly) and is SIGKILLed half-way; this build, on the schema it needs, refuses to start, says to
 * run 0.2.x until `admin upgrade status` reports the rewrite done, and records nothing. 0.2.0 is
 * started again and finishes; then this build starts, and every workflow is readable through it.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName, type Engine } from '../helpers/databases';
import { REPO_ROOT, SQL_TOOL, TEMPORAL_TS, freePort, startCli } from '../helpers/processes';
import { installedRelease } from '../helpers/releases';
import { readVersionHistory, runCliAsync } from '../helpers/rollout';
import { writeServerConfig, type TestDatabases } from '../helpers/server-config';
import { ENGINE_DIRS } from '../../src/schema/shipped';
import { packageVersion } from '../../src/common/package-info';

const CURRENT = packageVersion();
const WORKFLOWS = 300;
const STORES = ['temporal', 'visibility'] as const;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const tmp = mkdtempSync(join(tmpdir(), 'unfinished-rewrite-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function tool(bin: string, cwd: string, args: readonly string[]): Promise<void> {
  const r = await runCliAsync(bin, args, cwd);
  assert.equal(r.status, 0, `temporal-sql-tool ${args.join(' ')} (cwd ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}

/** The "Data rewrite" line of a release's `admin upgrade status`. */
async function dataRewriteLine(bin: string, config: string, cwd: string): Promise<string> {
  const r = await runCliAsync(bin, ['admin', 'upgrade', 'status', '--config', config], cwd);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('Data rewrite'));
  assert.ok(line, r.stdout);
  return line;
}

for (const engine of ['sqlite', 'postgres12'] as Engine[]) {
  describe(`an unfinished 0.2.x data rewrite on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    const dbs: TestDatabases =
      engine === 'sqlite'
        ? { temporal: join(tmp, 'temporal.db'), visibility: join(tmp, 'visibility.db') }
        : { temporal: uniqueDbName('unfinished'), visibility: uniqueDbName('unfinished_vis') };
    after(async () => {
      if (engine !== 'sqlite' && !skip) for (const db of Object.values(dbs)) await dropDatabase(engine, db).catch(() => undefined);
    });

    test(`${CURRENT} refuses to start until the packed 0.2.0 has finished rewriting 0.1.0's json/v1 rows`, { skip, timeout: 240_000 }, async () => {
      const v010 = installedRelease('0.1.0');
      const v020 = installedRelease('0.2.0');
      const port = await freePort();
      const address = `127.0.0.1:${port}`;
      const config = writeServerConfig(tmp, `${engine}`, engine, dbs, port);
      const slow = writeServerConfig(tmp, `${engine}-slow`, engine, dbs, port, { extra: 'upgrade:\n  dataRewriteRowsPerSecond: 50\n' });
      const pageUpdate = (store: (typeof STORES)[number]) => [
        ...toolConnectionFlags(engine, dbs[store]),
        'update-schema',
        '-d',
        `./schema/${ENGINE_DIRS[engine]}/${store}/versioned`,
      ];

      // 0.1.0: its databases, its server, 300 runs never polled (their mutable state stays json/v1)
      for (const store of STORES) {
        const flags = toolConnectionFlags(engine, dbs[store]);
        await tool(v010.sqlToolBin, v010.dir, [...flags, 'create-database']);
        await tool(v010.sqlToolBin, v010.dir, [...flags, 'setup-schema', '-v', '0.0']);
        await tool(v010.sqlToolBin, v010.dir, pageUpdate(store));
      }
      const s010 = startCli(v010.serverBin, ['server', 'start', '--config', config, '--headless'], {}, v010.dir);
      try {
        await s010.waitFor(/listening on/, 60_000);
        const connection = await Connection.connect({ address });
        try {
          const client = new Client({ connection });
          for (let i = 0; i < WORKFLOWS; i += 30)
            await Promise.all(
              Array.from({ length: 30 }, (_, j) => client.workflow.start('neverPolled', { taskQueue: 'unfinished', workflowId: `uf-${i + j}` })),
            );
        } finally {
          await connection.close();
        }
      } finally {
        assert.equal(await s010.stop(), 0, s010.output());
      }

      // 0.2.0: schemas to 1.1 with its tool, its server rewrites at 50 rows/s and is SIGKILLed half-way
      for (const store of STORES) await tool(v020.sqlToolBin, v020.dir, pageUpdate(store));
      const interrupted = startCli(v020.serverBin, ['server', 'start', '--config', slow, '--headless'], {}, v020.dir);
      try {
        await interrupted.waitFor(new RegExp(`data format rewrite started: ${WORKFLOWS} rows of mutable state`), 60_000);
        await interrupted.waitFor(/data format rewrite: \d+\/300 rows of mutable state/, 30_000);
      } finally {
        await interrupted.stop('SIGKILL');
      }

      // this build: schemas to what it needs (additive), then its start is refused, naming what to do
      for (const store of STORES) await tool(SQL_TOOL, REPO_ROOT, pageUpdate(store));
      const before = await readVersionHistory(engine, dbs.temporal);
      const refused = await runCliAsync(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
      assert.equal(refused.status, 1, `${CURRENT} must refuse:\n${refused.stdout}\n${refused.stderr}`);
      assert.match(
        refused.stderr,
        new RegExp(
          `this is temporal-ts ${esc(CURRENT)}, which reads mutable state \\(executions\\.data\\) only in json/v2, but the background rewrite of that data into json/v2 has not finished on this database \\(it has looked at \\d+ of ${WORKFLOWS} rows\\)\\. ` +
            `Start 0\\.2\\.x again and keep it running until \`temporal-ts admin upgrade status\` reports the data rewrite done, then start ${esc(CURRENT)}\\. Nothing was changed\\.`,
        ),
      );
      assert.deepEqual(await readVersionHistory(engine, dbs.temporal), before, 'the refused start recorded nothing');
      console.log(`[unfinished-rewrite ${engine}] ${refused.stderr.trim().split('\n').pop()}`);

      // what the message says to look at: 0.2.0's status shows the rewrite unfinished
      const mid = await dataRewriteLine(v020.serverBin, config, v020.dir);
      assert.doesNotMatch(mid, /^Data rewrite\s+done/, mid);
      console.log(`[unfinished-rewrite ${engine}] 0.2.0 admin upgrade status: ${mid}`);

      // 0.2.0 again (it runs on the newer schema), until its rewrite is done; then this build starts
      const resumed = startCli(v020.serverBin, ['server', 'start', '--config', config, '--headless'], {}, v020.dir);
      try {
        await resumed.waitFor(/data format rewrite done: \d+ rows of mutable state/, 90_000);
      } finally {
        assert.equal(await resumed.stop(), 0, resumed.output());
      }
      const status = await dataRewriteLine(v020.serverBin, config, v020.dir);
      assert.match(status, /^Data rewrite\s+done/, status);
      console.log(`[unfinished-rewrite ${engine}] 0.2.0 admin upgrade status: ${status}`);
      const current = startCli(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
      try {
        await current.waitFor(new RegExp(`version ${esc(CURRENT)} is active`), 60_000);
        await current.waitFor(/listening on/, 30_000);
        const connection = await Connection.connect({ address });
        try {
          const client = new Client({ connection });
          for (let i = 0; i < WORKFLOWS; i += 50) {
            const d = await Promise.all(Array.from({ length: 50 }, (_, j) => client.workflow.getHandle(`uf-${i + j}`).describe()));
            for (const x of d) assert.equal(x.status.name, 'RUNNING');
          }
        } finally {
          await connection.close();
        }
      } finally {
        assert.equal(await current.stop(), 0, current.output());
      }
    });
  });
}
