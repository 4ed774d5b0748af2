/**
 * The previous release's fixture databases (made by the real 0.1.0 with work in flight: a pending
 * timer, an activity never picked up, an activity running when its worker died, workflows waiting on
 * signals, an open update, a child, a continue-as-new chain, a workflow task never polled) are
 * upgraded by this checkout the way the upgrade page says, on every plugin:
 *
 *   the new server refuses the old schema (naming update-schema) and changes nothing; the page's
 *   update-schema commands run; the new server starts; every in-flight workflow completes with the
 *   result the fixture's manifest names, each activity running exactly the attempts expected; the
 *   upgrade status shows 0.1.0 then this version active, and the data rewrite done.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { ENGINES, engineAvailability, toolConnectionFlags, type Engine } from '../helpers/databases';
import { REPO_ROOT, TEMPORAL_TS, freePort, runCli, sqlTool, startCli } from '../helpers/processes';
import { join } from 'node:path';
import { changesDataFormatsSince, previousMinorRelease } from '../helpers/releases';
import { restoreReleaseFixture, STORES, type RestoredFixture } from '../helpers/release-fixtures';
import { shippedVersionedPath } from '../../src/schema/shipped';
import { writeServerConfig } from '../helpers/server-config';
import { comparableTables, dumpDatabase } from '../helpers/table-dump';
import { activityRuns } from '../fixtures/releases/activities';
import * as activities from '../fixtures/releases/activities';
import { FIXTURE_QUEUES } from '../fixtures/releases/workflows';
import { packageVersion } from '../../src/common/package-info';
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';
import type { UpgradeStatus } from '../../src/upgrade/status';

const THIS = packageVersion();
/** The release this one upgrades from (one minor at a time): its fixtures are the ones upgraded here. */
const FROM = previousMinorRelease(THIS).version;
/** Whether a release after FROM changed a data format (then a background data rewrite must run). */
const CHANGES_FORMATS = changesDataFormatsSince(FROM);

let bundle: Promise<WorkflowBundle> | undefined;
const workflowBundle = () =>
  (bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/releases/workflows'), logger: new DefaultLogger('WARN') }));

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function snapshot(engine: Engine, fx: RestoredFixture) {
  return {
    temporal: comparableTables(await dumpDatabase(engine, fx.dbs.temporal)),
    visibility: comparableTables(await dumpDatabase(engine, fx.dbs.visibility)),
  };
}

function upgradeStatus(config: string): UpgradeStatus {
  const r = runCli(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--config', config, '--output', 'json']);
  assert.equal(r.status, 0, `admin upgrade status failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as UpgradeStatus;
}

const runtime = (() => {
  let installed = false;
  return () => {
    if (!installed) Runtime.install({ logger: new DefaultLogger('ERROR') });
    installed = true;
  };
})();

for (const engine of ENGINES) {
  describe(`the ${FROM} fixture upgraded to ${THIS} on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    let fx: RestoredFixture | undefined;
    after(async () => fx?.cleanup());

    test('refused before the schema upgrade, then every in-flight workflow completes', { skip, timeout: 120_000 }, async () => {
      const t0 = Date.now();
      fx = await restoreReleaseFixture(FROM, engine);
      const { manifest } = fx;
      const config = writeServerConfig(fx.dir, 'server', engine, fx.dbs, await freePort()); // the cluster's recorded shard count wins over the config's

      // 1. The new server on the old schema: refused, with the command to run, and nothing written.
      const before = await snapshot(engine, fx);
      const versionsBefore = before.temporal.server_version_history!.map((r) => r[1]);
      assert.deepEqual(versionsBefore, [FROM], `the fixture's server_version_history holds ${FROM} only`);
      const refused = runCli(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
      assert.equal(refused.status, 1, `the ${THIS} server must refuse the ${FROM} schema:\n${refused.stdout}${refused.stderr}`);
      const need = formatVersion(requiredVersion(engine, 'temporal'));
      assert.match(
        refused.stderr,
        new RegExp(
          `temporal store .* is at schema version ${manifest.schemaVersions.temporal.replace('.', '\\.')}, but this server needs ${need.replace('.', '\\.')}`,
        ),
      );
      assert.ok(
        refused.stderr.includes(`update-schema -d ${join(REPO_ROOT, shippedVersionedPath(engine, 'temporal'))}\n`),
        `the refusal names the update-schema command:\n${refused.stderr}`,
      );
      assert.deepEqual(await snapshot(engine, fx), before, 'a refused start changes nothing in either store');

      // 2. The upgrade page's step 1 with this checkout's tool, for both stores.
      for (const store of STORES) {
        const r = sqlTool([...toolConnectionFlags(engine, fx.dbs[store]), 'update-schema', '-d', `./${shippedVersionedPath(engine, store)}`]);
        assert.equal(r.status, 0, `update-schema of the ${store} store failed:\n${r.stderr}${r.stdout}`);
        const target = formatVersion(requiredVersion(engine, store)).replace('.', '\\.');
        // a store this release did not change is already at its version: the tool says so and applies nothing
        assert.match(r.stdout + r.stderr, new RegExp(`schema is now at ${target}|already at ${target}; nothing to apply`));
      }
      const tSchema = Date.now();

      // 3. The new server, and workers with the fixture workflows on every queue the fixture used.
      const server = startCli(TEMPORAL_TS, ['server', 'start', '--config', config, '--headless']);
      try {
        const address = (await server.waitFor(/listening on \S+/, 60_000)).match(/listening on (\S+)/)![1]!;
        runtime();
        const connection = await Connection.connect({ address });
        const client = new Client({ connection, namespace: manifest.namespace });
        const nc = await NativeConnection.connect({ address });
        activityRuns.length = 0;
        const queues = [...new Set(manifest.workflows.map((w) => w.taskQueue))];
        const workers = [
          ...(await Promise.all(
            queues.map(async (taskQueue) =>
              Worker.create({ connection: nc, namespace: manifest.namespace, taskQueue, workflowBundle: await workflowBundle() }),
            ),
          )),
          ...(await Promise.all(
            [FIXTURE_QUEUES.scheduledActivities, FIXTURE_QUEUES.runningActivities].map((taskQueue) =>
              Worker.create({ connection: nc, namespace: manifest.namespace, taskQueue, activities }),
            ),
          )),
        ];
        const running = Promise.all(workers.map((w) => w.run()));
        try {
          // 4. Finish every in-flight workflow and check its result.
          for (const wf of manifest.workflows) {
            for (const step of wf.drive) await client.workflow.getHandle(step.signal.workflowId).signal(step.signal.name, ...step.signal.args);
          }
          await Promise.all(
            manifest.workflows.map(async (wf) => {
              const handle = client.workflow.getHandle(wf.workflowId);
              if (wf.update) {
                const u = await within(45_000, `update ${wf.update.updateId} of ${wf.workflowId}`, handle.getUpdateHandle<string>(wf.update.updateId).result());
                assert.equal(u, wf.update.expectedResult, `update ${wf.update.updateId}`);
              }
              const result = await within(45_000, `${wf.workflowId} (${wf.inFlight})`, handle.result());
              assert.equal(result, wf.expectedResult, `${wf.workflowId} (${wf.inFlight})`);
              if (wf.notBefore) {
                const closed = (await handle.describe()).closeTime;
                assert.ok(
                  closed && closed.getTime() >= Date.parse(wf.notBefore),
                  `${wf.workflowId} closed at ${closed?.toISOString()}, before its timer was due (${wf.notBefore})`,
                );
              }
            }),
          );
        } finally {
          for (const w of workers) w.shutdown();
          await running;
          await nc.close();
          await connection.close();
        }

        // 5. Each activity ran exactly the attempts expected, and nothing else ran.
        const expected = manifest.workflows.flatMap((wf) =>
          Object.entries(wf.expectedActivityAttempts ?? {}).flatMap(([type, attempts]) => attempts.map((a) => `${wf.workflowId}/${type}#${a}`)),
        );
        const ran = activityRuns.map((r) => `${r.workflowId}/${r.activityType}#${r.attempt}`);
        assert.deepEqual([...ran].sort(), [...expected].sort(), 'activity runs after the upgrade (workflow/activity#attempt)');

        // 6. The upgrade status: 0.1.0, then this version active; the data rewrite finishes.
        let status = upgradeStatus(config);
        assert.deepEqual(
          status.versionHistory.map((v) => v.serverVersion),
          [FROM, THIS],
        );
        assert.ok(
          status.versionHistory.every((v) => v.activatedTime !== null),
          `every version active: ${JSON.stringify(status.versionHistory)}`,
        );
        assert.equal(status.shardMetadataRewrite.state, 'done');
        console.log(`${engine}: restore + refusal + schema upgrade ${tSchema - t0} ms, workflows and status ${Date.now() - tSchema} ms`);
        if (!CHANGES_FORMATS) {
          assert.ok(['done', 'not-applicable'].includes(status.dataRewrite.state), `nothing to rewrite: ${JSON.stringify(status.dataRewrite)}`);
          return;
        }
        // A data format changed since FROM (0.2.0: mutable state json/v1 -> json/v2): a background rewrite must run.
        assert.notEqual(
          status.dataRewrite.state,
          'not-applicable',
          `${THIS} changes data formats, but the upgrade status reports no data rewrite: ${JSON.stringify(status.dataRewrite)}`,
        );
        const deadline = Date.now() + 30_000;
        while ((status.dataRewrite.state === 'pending' || status.dataRewrite.state === 'running') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          status = upgradeStatus(config);
        }
        assert.equal(status.dataRewrite.state, 'done', `the data rewrite of ${THIS} did not finish within 30 s: ${JSON.stringify(status.dataRewrite)}`);
      } finally {
        const code = await server.stop();
        assert.equal(code, 0, `the ${THIS} server did not stop cleanly:\n${server.output()}`);
      }
    });
  });
}
