/**
 * The staged roll-out of the "Upgrade the Temporal Server" page, run for real on every plugin with
 * the real previous release OLD (the newest of the minor before this one, its packed build in
 * releases/) and this checkout as the next release:
 *
 *  1. both stores are created by OLD's own temporal-sql-tool with the page's commands
 *     (create-database, setup-schema -v 0.0, update-schema -d ./schema/<dir>/<store>/versioned);
 *  2. OLD's server serves `temporal-ts simulate` load (activities, timers, signals, children,
 *     continue-as-new), plus a first batch of long-timer workflows left open for the new release;
 *  3. bad path "server upgraded but schema not": this release started on OLD's schema exits 1,
 *     naming the exact update-schema command of every store behind, and writes nothing;
 *  4. while OLD serves, the schemas are upgraded with this release's tool and the page's command;
 *     bad path "schema upgraded but server not": OLD keeps completing workflows on the new schema,
 *     and a fresh start of OLD on it works (its MinCompatibleVersion admits OLD);
 *  5. OLD is stopped (SIGKILL on PostgreSQL, to show nothing acknowledged is lost; SIGTERM
 *     elsewhere) and this release starts on the same port, logs "version X is active", load goes on;
 *  6. simulate ends with nothing lost, failed or wrong; `simulate --check` finds every workflow of
 *     both state files completed; `admin upgrade status` shows OLD then this version active, the
 *     shard-metadata rewrite done, and the data-format rewrite done when a format changed.
 *
 * Each plugin takes about a minute; CI runs all three.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName } from '../helpers/databases';
import { REPO_ROOT, SQL_TOOL, TEMPORAL_TS, freePort, type LongRunning } from '../helpers/processes';
import { changesDataFormatsSince, installedRelease, previousMinorRelease, type InstalledRelease } from '../helpers/releases';
import { esc, readVersionHistory, runCliAsync, sqlToolOk as tool, startServer as startServerOf, startSimulation, type SimSummary } from '../helpers/rollout';
import { writeServerConfig, type TestDatabases } from '../helpers/server-config';
import { ENGINE_DIRS, requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';
import type { UpgradeStatus } from '../../src/upgrade/status';

const CURRENT = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The release rolled out from: the newest of the minor before this one (upgrades go one minor at a time). */
const OLD_RELEASE = previousMinorRelease(CURRENT);
const OLD = OLD_RELEASE.version;
const STORES = ['temporal', 'visibility'] as const;
/** The schema version each store is at under OLD, and the one this release needs. */
const OLD_SCHEMA = { temporal: OLD_RELEASE.schema.temporal.version, visibility: OLD_RELEASE.schema.visibility.version };
const newSchema = (engine: Parameters<typeof requiredVersion>[0], store: (typeof STORES)[number]) => formatVersion(requiredVersion(engine, store));
// The main load: every kind of workflow, timers short enough to finish within the drain.
const MIX = 'activities=3,timer=2,signal=2,child=1,continue=1';
// The main load runs until the test ends it, once this release took load (BackgroundSimulation.endLoad);
// the duration only bounds a test that fails before that.
const SIM_DURATION_S = 600;

const tmp = mkdtempSync(join(tmpdir(), 'rollout-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function upgradeStatus(config: string): Promise<UpgradeStatus> {
  const r = await runCliAsync(TEMPORAL_TS, ['admin', 'upgrade', 'status', '--config', config, '--output', 'json']);
  assert.equal(r.status, 0, `admin upgrade status exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as UpgradeStatus;
}

const startServer = (bin: string, config: string, cwd: string, who: string) => startServerOf(bin, config, cwd, who, 30_000);

function assertClean(name: string, s: SimSummary, output: string, code: number | null): void {
  const detail = `${name}: ${JSON.stringify({ ...s, failures: s.failures.slice(0, 10) })}\n${output.slice(-3000)}`;
  assert.equal(s.lost, 0, `${name} lost workflows: ${detail}`);
  assert.equal(s.failed, 0, `${name} has failed workflows: ${detail}`);
  assert.equal(s.wrongResult, 0, `${name} has wrong results: ${detail}`);
  assert.deepEqual(s.failures, [], `${name} reported errors: ${detail}`);
  assert.equal(code, 0, `${name} exited ${code}: ${detail}`);
}

/** Every workflow the state file says was started has a "completed" outcome recorded after it. */
function assertStateFileAllCompleted(file: string): number {
  const started = new Set<string>();
  const completed = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { type: string; workflowId: string; outcome?: string };
    if (r.type === 'started') started.add(r.workflowId);
    else if (r.outcome === 'completed') completed.add(r.workflowId);
  }
  const missing = [...started].filter((id) => !completed.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${started.size} workflows in ${file} have no completed outcome`);
  return started.size;
}

for (const engine of ENGINES) {
  describe(`staged roll-out ${OLD} -> ${CURRENT} on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    const dbs: TestDatabases =
      engine === 'sqlite'
        ? { temporal: join(tmp, `${engine}-temporal.db`), visibility: join(tmp, `${engine}-visibility.db`) }
        : { temporal: uniqueDbName('rollout_tmp'), visibility: uniqueDbName('rollout_vis') };
    after(async () => {
      if (engine !== 'sqlite' && !skip) for (const db of Object.values(dbs)) await dropDatabase(engine, db);
    });
    // One plugin shows that a SIGKILL of the old release loses nothing the server acknowledged.
    const finalStop: NodeJS.Signals = engine === 'postgres12' ? 'SIGKILL' : 'SIGTERM';

    test(
      `${OLD} under load, schemas upgraded while it serves, restart as ${CURRENT} (${finalStop}): nothing lost or failed`,
      { skip, timeout: 180_000 },
      async () => {
        const began = Date.now();
        const mark = (what: string) => console.log(`[rollout ${engine}] ${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
        const release: InstalledRelease = installedRelease(OLD);
        /** the stores this release changed the schema of: a start on OLD's schema refuses them */
        const behind = STORES.filter((store) => OLD_SCHEMA[store] !== newSchema(engine, store));
        const flags = (store: (typeof STORES)[number]) => toolConnectionFlags(engine, dbs[store]);
        const pageUpdate = (store: (typeof STORES)[number]) => ['update-schema', '-d', `./schema/${ENGINE_DIRS[engine]}/${store}/versioned`];

        // 1. The page's commands, run by the old release's own tool in its own directory (its ./schema is its own).
        for (const store of STORES) {
          await tool(release.sqlToolBin, release.dir, [...flags(store), 'create-database']);
          await tool(release.sqlToolBin, release.dir, [...flags(store), 'setup-schema', '-v', '0.0']);
          await tool(release.sqlToolBin, release.dir, [...flags(store), ...pageUpdate(store)]);
        }
        const port = await freePort();
        const config = writeServerConfig(tmp, engine, engine, dbs, port);
        const address = `127.0.0.1:${port}`;
        mark(`databases created by ${OLD} temporal-sql-tool`);

        // 2. OLD serves.
        let server: LongRunning | undefined = await startServer(release.serverBin, config, release.dir, `${OLD} server`);
        const sims: ReturnType<typeof startSimulation>[] = [];
        try {
          assert.match(server.output(), new RegExp(`version ${esc(OLD)} is active`), `${OLD} logs its activation:\n${server.output()}`);
          mark(`${OLD} listening on ${address}`);

          // 3. The load. A first batch with long timers is left open on purpose: the new release must
          //    finish workflows that 0.1.0 started and wrote; the main run spans the whole procedure.
          const earlyState = join(tmp, `${engine}-early.jsonl`);
          const mainState = join(tmp, `${engine}-main.jsonl`);
          const early = startSimulation([
            '--address',
            address,
            '--task-queue',
            `rollout-${engine}`,
            '--duration',
            '3s',
            '--rate',
            '5',
            '--mix',
            'timer=4,signal=1,child=1,continue=1,activities=1',
            '--timer-max',
            '20s',
            '--leave-open',
            '--state-file',
            earlyState,
            '--seed',
            '7',
          ]);
          sims.push(early);
          const main = startSimulation([
            '--address',
            address,
            '--task-queue',
            `rollout-${engine}`,
            '--duration',
            `${SIM_DURATION_S}s`,
            '--rate',
            '5',
            '--drain',
            '60s',
            '--mix',
            MIX,
            '--timer-max',
            '4s',
            '--state-file',
            mainState,
          ]);
          sims.push(main);
          const warm = await main.waitForProgress(`${OLD} completes workflows of the load`, (p) => p.completed >= 5, 20_000);
          mark(`load running on ${OLD}: ${JSON.stringify(warm)}`);

          // 4. Bad path "server upgraded but schema not": this release on the old schema refuses and
          //    changes nothing. (Another port, so a wrong start could not be hidden by the busy one.)
          const historyBefore = await readVersionHistory(engine, dbs.temporal);
          assert.deepEqual(
            historyBefore.map((r) => r.serverVersion),
            [OLD],
            `only ${OLD} has run so far`,
          );
          assert.notEqual(historyBefore[0]!.activatedTime, null, `${OLD} is recorded active`);
          const otherConfig = writeServerConfig(tmp, `${engine}-other-port`, engine, dbs, await freePort());
          const early0 = await runCliAsync(TEMPORAL_TS, ['server', 'start', '--config', otherConfig, '--headless']);
          assert.equal(early0.status, 1, `${CURRENT} must refuse the ${OLD} schema:\n${early0.stdout}\n${early0.stderr}`);
          // Every store behind is named in one refusal, each with its command (absolute paths, pasteable anywhere).
          for (const store of behind) {
            assert.match(
              early0.stderr,
              new RegExp(`${store} store .* is at schema version ${esc(OLD_SCHEMA[store])}, but this server needs ${esc(newSchema(engine, store))}`),
              early0.stderr,
            );
          }
          const printed = early0.stderr
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l.startsWith(SQL_TOOL));
          assert.equal(printed.length, behind.length, `one command per store behind:\n${early0.stderr}`);
          for (const [i, store] of behind.entries()) {
            assert.match(
              printed[i]!,
              new RegExp(
                `^${esc(SQL_TOOL)} .*--pl ${engine} --db ${esc(dbs[store])} update-schema -d ${esc(join(REPO_ROOT, 'schema', ENGINE_DIRS[engine], store, 'versioned'))}$`,
              ),
            );
          }
          assert.deepEqual(await readVersionHistory(engine, dbs.temporal), historyBefore, 'a refused start writes nothing to server_version_history');
          const refused = await upgradeStatus(config);
          assert.deepEqual(
            refused.stores.map((s) => [s.store, s.current, s.state]),
            STORES.map((store) => [store, OLD_SCHEMA[store], behind.includes(store) ? 'behind' : 'ok']),
          );
          assert.deepEqual(
            refused.versionHistory.map((h) => [h.serverVersion, h.activatedTime !== null]),
            [[OLD, true]],
            'the versions that ran are shown while the schema is behind',
          );
          assert.deepEqual(refused.nextCommands.slice(0, printed.length), printed, 'the status prints the same commands as the refused start');
          mark(`${CURRENT} refused the ${OLD} schema and wrote nothing`);

          // 5. The page's update-schema with this release's tool (cwd = this checkout: its ./schema is this release's),
          //    while OLD serves.
          for (const store of STORES) await tool(SQL_TOOL, REPO_ROOT, [...flags(store), ...pageUpdate(store)]);
          const upgraded = await upgradeStatus(config);
          assert.deepEqual(
            upgraded.stores.map((s) => [s.store, s.current, s.state]),
            STORES.map((store) => [store, newSchema(engine, store), 'ok']),
          );
          const atUpgrade = main.progress();
          const NEW_T = newSchema(engine, 'temporal');
          mark(`schemas at ${NEW_T} while ${OLD} serves: ${JSON.stringify(atUpgrade)}`);

          //    Bad path "schema upgraded but server not": OLD keeps completing work on the new schema...
          await main.waitForProgress(
            `${OLD} keeps completing workflows on schema ${NEW_T}`,
            (p) => p.completed >= atUpgrade.completed + 10 && p.started > atUpgrade.started,
            15_000,
          );
          //    ...and a fresh start of OLD on it works (its MinCompatibleVersion admits OLD), and serves.
          assert.equal(await server.stop('SIGTERM'), 0, `${OLD} stops cleanly on SIGTERM:\n${server.output().slice(-3000)}`);
          server = undefined;
          server = await startServer(release.serverBin, config, release.dir, `${OLD} server on schema ${NEW_T}`);
          assert.match(server.output(), new RegExp(`schema version ${esc(NEW_T)}`), `${OLD} reports the newer schema it runs on:\n${server.output()}`);
          const restarted = main.progress();
          await main.waitForProgress(`a fresh ${OLD} on schema ${NEW_T} completes workflows`, (p) => p.completed >= restarted.completed + 10, 15_000);
          mark(`fresh ${OLD} serves on schema ${NEW_T}: ${JSON.stringify(main.progress())}`);

          // 6. The binary upgrade: stop OLD, start this release on the same port.
          const stopped = await server.stop(finalStop);
          if (finalStop === 'SIGTERM') assert.equal(stopped, 0, `${OLD} stops cleanly on SIGTERM`);
          server = undefined;
          server = await startServer(TEMPORAL_TS, config, REPO_ROOT, `${CURRENT} server`);
          await server.waitFor(new RegExp(`version ${esc(CURRENT)} is active`), 30_000);
          const onNew = main.progress();
          mark(`${CURRENT} active after ${finalStop} of ${OLD}: ${JSON.stringify(onNew)}`);
          await main.waitForProgress(
            `load continues on ${CURRENT} (new workflows start and complete)`,
            (p) => p.started >= onNew.started + 10 && p.completed >= onNew.completed + 10,
            20_000,
          );
          // the load ran across the whole procedure, and ends here
          main.endLoad();

          // 7. The load ends clean: nothing acknowledged is lost, failed or wrong.
          const e = await early.finish();
          assertClean('early (left-open) simulation', e.summary, e.output, e.code);
          assert.ok(e.summary.leftOpen >= 3, `some early workflows are still open when the upgrade starts: ${JSON.stringify(e.summary)}`);
          const m = await main.finish();
          assertClean('main simulation', m.summary, m.output, m.code);
          assert.equal(m.summary.completed, m.summary.started);
          assert.ok(m.summary.started >= onNew.started + 10, `the main load started ${m.summary.started} workflows`);
          mark(`main simulation: ${JSON.stringify({ ...m.summary, failures: undefined })}`);

          //    --check from the state files: the early batch (started by OLD, left open across both
          //    restarts) completes on this release; the main file has nothing open left, so a check of
          //    it would check nothing and is refused.
          const check = (file: string) =>
            runCliAsync(TEMPORAL_TS, [
              'simulate',
              '--address',
              address,
              '--task-queue',
              `rollout-${engine}`,
              '--check',
              '--state-file',
              file,
              '--drain',
              '40s',
              '-o',
              'json',
            ]);
          const r = await check(earlyState);
          const s = JSON.parse(r.stdout) as SimSummary;
          assertClean(`simulate --check --state-file ${earlyState}`, s, r.stdout + r.stderr, r.status);
          assert.equal(s.readFromStateFile, e.summary.started);
          assert.equal(s.checkedFromStateFile, e.summary.leftOpen);
          assert.equal(s.completed, e.summary.leftOpen);
          assertStateFileAllCompleted(earlyState);
          const nothing = await check(mainState);
          assert.equal(nothing.status, 1, nothing.stdout);
          assert.match(nothing.stderr, new RegExp(`nothing to check: all ${m.summary.started} workflows of .* already have an outcome recorded`));
          assertStateFileAllCompleted(mainState);
          mark(`--check: all ${e.summary.started} early and ${m.summary.started} main workflows completed`);

          // 8. Where the upgrade stands: OLD then this release, active; both rewrites done.
          let status = await upgradeStatus(config);
          assert.equal(status.serverVersion, CURRENT);
          assert.deepEqual(
            status.versionHistory.map((v) => v.serverVersion),
            [OLD, CURRENT],
          );
          for (const v of status.versionHistory) assert.notEqual(v.activatedTime, null, `${v.serverVersion} is recorded active`);
          assert.equal(status.shardMetadataRewrite.state, 'done');
          assert.equal(status.shardMetadataRewrite.done, status.shardCount);
          if (!changesDataFormatsSince(OLD)) {
            assert.ok(['done', 'not-applicable'].includes(status.dataRewrite.state), `no data format changed: ${JSON.stringify(status.dataRewrite)}`);
            return;
          }
          const rewriteDeadline = Date.now() + 30_000;
          while (status.dataRewrite.state !== 'done' && Date.now() < rewriteDeadline) {
            await new Promise((r) => setTimeout(r, 500));
            status = await upgradeStatus(config);
          }
          assert.equal(
            status.dataRewrite.state,
            'done',
            `the json/v1 -> json/v2 data rewrite finishes within 30 s of the start: ${JSON.stringify(status.dataRewrite)}`,
          );
          // The total is the rows OLD left in json/v1; rows the load adds meanwhile are not counted.
          const started = /data format rewrite started: (\d+) rows of mutable state/.exec(server.output());
          assert.ok(started, `the rewrite logs its total:\n${server.output().slice(-3000)}`);
          assert.deepEqual(
            [status.dataRewrite.done, status.dataRewrite.total],
            [Number(started[1]), Number(started[1])],
            `the data rewrite is done with every row of its total, as its log said: ${JSON.stringify(status.dataRewrite)}`,
          );
          for (const [line, done, total, pct] of server.output().matchAll(/data format rewrite: (\d+)\/(\d+) rows [^"]*\((\d+)%\)/g)) {
            assert.ok(Number(done) <= Number(total) && Number(pct) <= 100, `progress past its total: ${line}`);
          }
          assert.match(status.nextStep, /^nothing to do: /, status.nextStep);
          mark(
            `admin upgrade status: ${JSON.stringify({ versionHistory: status.versionHistory.map((v) => v.serverVersion), shardMetadataRewrite: status.shardMetadataRewrite.state, dataRewrite: status.dataRewrite })}`,
          );
        } finally {
          for (const s of sims) await s.proc.stop('SIGKILL');
          if (server) await server.stop();
        }
      },
    );
  });
}
