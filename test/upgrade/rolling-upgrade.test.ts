/**
 * The rolling upgrade of README "Running a cluster" ("Mixed versions"), with real processes on
 * PostgreSQL and on MariaDB, under `temporal-ts simulate` load the whole time:
 *
 *  (a) 0.2.x -> 0.3.x. The packed 0.2.0 (its own temporal-sql-tool made the databases) serves; both
 *      schemas are updated with the page's command (update-schema -d ./schema/<dir>/<store>/versioned)
 *      while it serves, and it keeps serving on them. A member of this build started meanwhile is
 *      refused (0.2.0 has no membership and still runs) and records nothing. 0.2.0 is stopped
 *      (SIGTERM); member A of this build starts on its port, rewrites every shard and records this
 *      version active; B and C join; the load spreads over the three frontends. The packed 0.2.0
 *      started now is refused by its own check (a newer minor ran).
 *  (b) within 0.3.x and later: the same cluster is replaced one member at a time by the next minor
 *      (this build installed under the version NEXT, see currentBuildAs), old and new side by side
 *      meanwhile. NEXT is not recorded active while an old member is alive (even when NEXT members
 *      hold every shard); an old member restarted meanwhile is admitted with a warning; once the
 *      last old member is replaced, NEXT is recorded active (after that member's stop), every
 *      shard's metadata names NEXT, and an old member is refused.
 *
 * At the end both simulations have nothing lost, failed or wrong, and `admin upgrade status` shows
 * 0.2.0, this version and NEXT active with both rewrites done. About 4 minutes per engine.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName, type Engine } from '../helpers/databases';
import { REPO_ROOT, SQL_TOOL, TEMPORAL_TS, freePort, type LongRunning } from '../helpers/processes';
import { currentBuildAs, installedRelease, type InstalledRelease } from '../helpers/releases';
import {
  esc,
  explainLost,
  readVersionHistory,
  runCliAsync,
  sqlToolOk as tool,
  startServer as startServerOf,
  startSimulation,
  type BackgroundSimulation,
  type SimSummary,
} from '../helpers/rollout';
import { connectConfig, writeServerConfig, type TestDatabases } from '../helpers/server-config';
import { ENGINE_DIRS } from '../../src/schema/shipped';
import { FORMAT, READABLE, openPersistence, readJsonBlob } from '../../src/persistence';
import type { ClusterDescription } from '../../src/server/cluster/describe';
import type { UpgradeStatus } from '../../src/upgrade/status';

const CURRENT = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The release without membership that a cluster is made from (the packed build in releases/). */
const OLD = '0.2.0';
/** The next minor, for the rolling part: this build under another version. */
const cur = CURRENT.split('.');
const NEXT = `${cur[0]}.${Number(cur[1]) + 1}.0-rolling`;
/**
 * Part (a) starts from 0.2.x, which only 0.3.x may follow (one minor at a time); from 0.4.x on, a
 * database 0.2.0 made is refused by design, and the rolling part alone stays to test (re-aim it then).
 */
const NOT_THIS_MINOR = Number(cur[0]) === 0 && Number(cur[1]) === 3 ? false : `${CURRENT} cannot follow ${OLD} directly (one minor at a time)`;
const STORES = ['temporal', 'visibility'] as const;
// 16 shards: 5 or 6 per member of three (bounded loads, ring.ts)
const SHARDS = 16;
const MIX = 'activities=3,timer=2,signal=2,child=1,continue=1';
// each load runs until the test ends it (BackgroundSimulation.endLoad); the duration only bounds a test that fails first
const SIM_DURATION_S = 600;

const tmp = mkdtempSync(join(tmpdir(), 'rolling-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** every server process the test started, named, for the failure message of a simulation (explainLost) */
const started: [string, LongRunning][] = [];
const startServer = async (bin: string, config: string, cwd: string, who: string) => {
  const s = await startServerOf(bin, config, cwd, who, 60_000);
  started.push([who, s]);
  return s;
};

/** A start that must be refused: exit 1, and the message. */
async function refusedStart(bin: string, config: string, cwd: string): Promise<string> {
  const r = await runCliAsync(bin, ['server', 'start', '--config', config, '--headless'], cwd, 60_000);
  assert.equal(r.status, 1, `the start must be refused (exit 1), got ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stderr + r.stdout;
}

async function assertClean(name: string, s: SimSummary, output: string, code: number | null, liveAddress: string): Promise<void> {
  const detail = `${name}: ${JSON.stringify({ ...s, failures: s.failures.slice(0, 10) })}\n${output.slice(-3000)}\n${await explainLost(s, liveAddress, started)}`;
  assert.equal(s.lost, 0, `${name} lost workflows: ${detail}`);
  assert.equal(s.failed, 0, `${name} has failed workflows: ${detail}`);
  assert.equal(s.wrongResult, 0, `${name} has wrong results: ${detail}`);
  assert.deepEqual(s.failures, [], `${name} reported errors: ${detail}`);
  assert.equal(code, 0, `${name} exited ${code}: ${detail}`);
  assert.equal(s.completed, s.started, `${name}: every workflow started completed`);
}

const simArgs = (addresses: readonly string[], taskQueue: string, seconds: number) => [
  ...addresses.flatMap((a) => ['--address', a]),
  '--task-queue',
  taskQueue,
  '--duration',
  `${seconds}s`,
  '--rate',
  '2',
  '--drain',
  '90s',
  '--mix',
  MIX,
  '--timer-max',
  '4s',
];

/** Waits until the simulation has completed `n` more workflows than now. */
async function moreCompleted(sim: BackgroundSimulation, what: string, n = 3, timeoutMs = 40_000): Promise<void> {
  const now = sim.progress();
  await sim.waitForProgress(what, (p) => p.completed >= now.completed + n, timeoutMs);
}

for (const engine of ['postgres12', 'mysql8'] as Engine[]) {
  describe(`rolling upgrade on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    const dbs: TestDatabases = { temporal: uniqueDbName('rolling_tmp'), visibility: uniqueDbName('rolling_vis') };
    after(async () => {
      if (!skip) for (const db of Object.values(dbs)) await dropDatabase(engine, db).catch(() => undefined);
    });

    test(
      `${OLD} under load -> schemas while it serves -> 3 members of ${CURRENT} -> replaced one at a time by ${NEXT}: nothing lost, failed or wrong`,
      { skip: skip || NOT_THIS_MINOR, timeout: 420_000 },
      async () => {
        const began = Date.now();
        const mark = (what: string) => console.log(`[rolling ${engine}] ${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
        const old: InstalledRelease = installedRelease(OLD);
        const next = currentBuildAs(NEXT, join(tmp, engine));
        const flags = (store: (typeof STORES)[number]) => toolConnectionFlags(engine, dbs[store]);
        const pageUpdate = (store: (typeof STORES)[number]) => ['update-schema', '-d', `./schema/${ENGINE_DIRS[engine]}/${store}/versioned`];
        const names = ['A', 'B', 'C'] as const;
        type Name = (typeof names)[number];
        const ports = {} as Record<Name | 'spare', number>;
        const configs = {} as Record<Name | 'spare', string>;
        for (const name of [...names, 'spare'] as const) {
          ports[name] = await freePort();
          configs[name] = writeServerConfig(tmp, `${engine}-${name}`, engine, dbs, ports[name], { numHistoryShards: SHARDS });
        }
        const address = (name: Name) => `127.0.0.1:${ports[name]}`;
        const servers: Partial<Record<Name | 'old', LongRunning>> = {};
        const sims: BackgroundSimulation[] = [];
        let persistence: Awaited<ReturnType<typeof openPersistence>> | undefined;
        /** shard id -> [owner, version] from the shard metadata */
        const shardInfo = async () => {
          persistence ??= await openPersistence(connectConfig(engine, dbs.temporal));
          const rows = await persistence.shards.listShards();
          return new Map(
            rows.map((r) => {
              const i = readJsonBlob<{ owner: string; serverVersion: string }>(r.info, FORMAT.shardInfo, READABLE.shardInfo);
              return [r.shardId, [i.owner, i.serverVersion] as const];
            }),
          );
        };
        const describeCluster = async (): Promise<ClusterDescription> => {
          const r = await runCliAsync(next.serverBin, ['admin', 'cluster', 'describe', '--config', configs.A, '-o', 'json'], next.dir);
          assert.equal(r.status, 0, r.stderr);
          return JSON.parse(r.stdout) as ClusterDescription;
        };
        const printCluster = async () =>
          console.log((await runCliAsync(next.serverBin, ['admin', 'cluster', 'describe', '--config', configs.A], next.dir)).stdout);
        /** a server's log lines that say what the upgrade did (printed: the README shows them) */
        const showLog = (who: string, s: LongRunning, pattern: RegExp) => {
          for (const line of s.output().split('\n')) if (pattern.test(line)) console.log(`  ${who}: ${line.slice(0, 400)}`);
        };
        const stop = async (name: Name | 'old') => {
          const s = servers[name];
          assert.ok(s, `${name} runs`);
          assert.equal(await s.stop('SIGTERM'), 0, `${name} stops cleanly on SIGTERM:\n${s.output().slice(-3000)}`);
          delete servers[name];
          return s;
        };
        try {
          // ------------------------------------------------------------ (a) 0.2.0 serves, made by its own tool
          for (const s of STORES) {
            await tool(old.sqlToolBin, old.dir, [...flags(s), 'create-database']);
            await tool(old.sqlToolBin, old.dir, [...flags(s), 'setup-schema', '-v', '0.0']);
            await tool(old.sqlToolBin, old.dir, [...flags(s), ...pageUpdate(s)]);
          }
          servers.old = await startServer(old.serverBin, configs.A, old.dir, `${OLD} server`);
          assert.match(servers.old.output(), new RegExp(`version ${esc(OLD)} is active`));
          const simA = startSimulation(simArgs([address('A')], `rolling-${engine}-a`, SIM_DURATION_S));
          sims.push(simA);
          await moreCompleted(simA, `${OLD} completes workflows`);
          mark(`${OLD} serves on ${address('A')}: ${JSON.stringify(simA.progress())}`);

          // the page's update-schema with this build's tool, while 0.2.0 serves; it keeps serving on 1.2
          for (const s of STORES) console.log((await tool(SQL_TOOL, REPO_ROOT, [...flags(s), ...pageUpdate(s)])).trim());
          await moreCompleted(simA, `${OLD} keeps completing workflows on schema 1.2`);
          mark(`schemas updated while ${OLD} serves: ${JSON.stringify(simA.progress())}`);

          // a member of this build while 0.2.0 still serves: refused, nothing recorded, 0.2.0 unharmed
          const early = await refusedStart(TEMPORAL_TS, configs.spare, REPO_ROOT);
          assert.match(
            early,
            new RegExp(
              `temporal-ts ${esc(OLD)} \\([^)]*:${servers.old.child.pid}\\) still serves this database: it has no cluster membership and holds ${SHARDS} shard\\(s\\).*Stop it \\(SIGTERM\\)`,
            ),
          );
          assert.deepEqual(
            (await readVersionHistory(engine, dbs.temporal)).map((r) => r.serverVersion),
            [OLD],
            'the refused member recorded nothing',
          );
          await moreCompleted(simA, `${OLD} keeps serving after the refused member`);
          mark(`a ${CURRENT} member started while ${OLD} serves is refused: ${early.split('\n').find((l) => l.includes('still serves'))}`);

          // stop 0.2.0, start member A on its port, then B and C
          await stop('old');
          servers.A = await startServer(TEMPORAL_TS, configs.A, REPO_ROOT, `${CURRENT} member A`);
          await servers.A.waitFor(new RegExp(`version ${esc(CURRENT)} is active`), 30_000);
          assert.match(servers.A.output(), new RegExp(`upgrading from ${esc(OLD)} to ${esc(CURRENT)}: rewriting the metadata of ${SHARDS} shards`));
          for (const [, [, v]] of await shardInfo()) assert.equal(v, CURRENT, 'A rewrote every shard');
          await moreCompleted(simA, `load goes on through ${CURRENT} member A`);
          simA.endLoad(); // it spanned 0.2.0's replacement; its open workflows drain meanwhile
          mark(`${OLD} stopped, member A (${CURRENT}) active: ${JSON.stringify(simA.progress())}`);
          showLog('A', servers.A, /upgrading from|is active/);
          servers.B = await startServer(TEMPORAL_TS, configs.B, REPO_ROOT, `${CURRENT} member B`);
          servers.C = await startServer(TEMPORAL_TS, configs.C, REPO_ROOT, `${CURRENT} member C`);
          const pidOwners = async () => new Set([...(await shardInfo()).values()].map(([o]) => Number(o.slice(o.lastIndexOf(':') + 1))));
          for (const deadline = Date.now() + 30_000; (await pidOwners()).size < 3;) {
            assert.ok(Date.now() < deadline, `the shards spread over A, B and C: ${JSON.stringify([...(await shardInfo()).entries()])}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          const d0 = await describeCluster();
          assert.deepEqual(
            d0.members.map((m) => [m.state, m.serverVersion]),
            names.map(() => ['alive', CURRENT]),
          );
          await printCluster();
          // the packed 0.2.0 started now: refused by its own check (a newer minor ran here)
          const oldAgain = await refusedStart(old.serverBin, configs.spare, old.dir);
          assert.match(oldAgain, new RegExp(`${esc(CURRENT)} has already run on this database`));
          mark(`${OLD} started beside the members is refused: ${oldAgain.split('\n').find((l) => l.includes('already run'))}`);

          const simB = startSimulation(simArgs(names.map(address), `rolling-${engine}-b`, SIM_DURATION_S));
          sims.push(simB);
          await moreCompleted(simB, 'load through the three frontends');
          mark(`3 members of ${CURRENT}, load through ${names.map(address).join(', ')}: ${JSON.stringify(simB.progress())}`);

          // ------------------------------------------------------------ (b) replaced one at a time by NEXT
          const notActive = async (why: string) => {
            const row = (await readVersionHistory(engine, dbs.temporal)).find((r) => r.serverVersion === NEXT);
            assert.ok(row, `${NEXT} is recorded as started`);
            assert.equal(row.activatedTime, null, `${NEXT} is not active while ${why}`);
          };
          await stop('A');
          servers.A = await startServer(next.serverBin, configs.A, next.dir, `${NEXT} member A`);
          assert.match(servers.A.output(), new RegExp(`upgrading from ${esc(CURRENT)} to ${esc(NEXT)}`));
          await servers.A.waitFor(/members of another version are alive: .*; temporal-ts .* is recorded active once none is left/, 15_000);
          await moreCompleted(simB, `${NEXT} A beside ${CURRENT} B and C`);
          const mixed = await shardInfo();
          const aPid = servers.A.child.pid!;
          const ofA = [...mixed.values()].filter(([o]) => o.endsWith(`:${aPid}`));
          assert.ok(ofA.length > 0 && ofA.every(([, v]) => v === NEXT), `the shards of ${NEXT} A carry its version: ${JSON.stringify([...mixed.entries()])}`);
          assert.ok(
            [...mixed.values()].some(([, v]) => v === CURRENT),
            'the old members keep their shards (and their metadata) meanwhile',
          );
          await notActive(`${CURRENT} members B and C are alive`);
          mark(`A replaced by ${NEXT}; B and C still ${CURRENT}: ${JSON.stringify(simB.progress())}`);
          showLog('A', servers.A, /upgrading from|members of another version|joined the cluster/);
          await printCluster();

          // an old member restarted during the roll is admitted (the new minor is not active yet)
          await stop('C');
          servers.C = await startServer(TEMPORAL_TS, configs.C, REPO_ROOT, `${CURRENT} member C restarted`);
          assert.match(servers.C.output(), new RegExp(`a rolling upgrade to ${esc(NEXT)} is under way on this database`));
          await moreCompleted(simB, `after the restart of ${CURRENT} C`);
          mark(`${CURRENT} C restarted during the roll: admitted`);
          showLog('C', servers.C, /rolling upgrade to/);

          await stop('B');
          servers.B = await startServer(next.serverBin, configs.B, next.dir, `${NEXT} member B`);
          await moreCompleted(simB, `${NEXT} A and B beside ${CURRENT} C`);
          await notActive(`${CURRENT} member C is alive`);
          mark(`B replaced by ${NEXT}: ${JSON.stringify(simB.progress())}`);

          const lastOldStopped = Date.now();
          await stop('C');
          servers.C = await startServer(next.serverBin, configs.C, next.dir, `${NEXT} member C`);
          const activeLine = new RegExp(`version ${esc(NEXT)} is active`);
          for (const deadline = Date.now() + 30_000; !names.some((n) => activeLine.test(servers[n]!.output()));) {
            assert.ok(Date.now() < deadline, `${NEXT} is recorded active once the last ${CURRENT} member is gone`);
            await new Promise((r) => setTimeout(r, 200));
          }
          const activated = (await readVersionHistory(engine, dbs.temporal)).find((r) => r.serverVersion === NEXT)!;
          assert.ok(activated.activatedTime !== null && activated.activatedTime >= lastOldStopped, `${NEXT} became active after the last old member stopped`);
          await moreCompleted(simB, `load on three ${NEXT} members`);
          simB.endLoad(); // it spanned every replacement
          mark(`C replaced by ${NEXT}: active ${activated.activatedTime! - lastOldStopped} ms after the last ${CURRENT} member's SIGTERM`);
          for (const n of names) showLog(n, servers[n]!, /is active|members of another version/);
          await printCluster();
          const d1 = await describeCluster();
          assert.deepEqual(
            d1.members.filter((m) => m.state === 'alive').map((m) => m.serverVersion),
            names.map(() => NEXT),
          );
          for (const [id, [, v]] of await shardInfo()) assert.equal(v, NEXT, `shard ${id}'s metadata was rewritten by ${NEXT}`);

          // once NEXT is active, an old member is refused
          const late = await refusedStart(TEMPORAL_TS, configs.spare, REPO_ROOT);
          assert.match(late, new RegExp(`this is temporal-ts ${esc(CURRENT)}, but ${esc(NEXT)} has already run on this database`));
          mark(`${CURRENT} after ${NEXT} is active: refused`);

          // ------------------------------------------------------------ nothing lost, failed or wrong
          for (const [name, sim] of [
            ['simulation through A', simA],
            ['simulation through A, B and C', simB],
          ] as const) {
            const r = await sim.finish();
            await assertClean(name, r.summary, r.output, r.code, address('A'));
            mark(`${name}: ${JSON.stringify({ ...r.summary, failures: undefined })}`);
          }
          const st = await runCliAsync(next.serverBin, ['admin', 'upgrade', 'status', '--config', configs.A, '--output', 'json'], next.dir);
          assert.equal(st.status, 0, st.stderr);
          const status = JSON.parse(st.stdout) as UpgradeStatus;
          assert.deepEqual(
            status.versionHistory.map((v) => [v.serverVersion, v.activatedTime !== null]),
            [
              [OLD, true],
              [CURRENT, true],
              [NEXT, true],
            ],
          );
          assert.equal(status.shardMetadataRewrite.state, 'done');
          assert.equal(status.dataRewrite.state, 'done', JSON.stringify(status.dataRewrite));
        } finally {
          for (const s of sims) await s.proc.stop('SIGKILL');
          for (const s of Object.values(servers)) await s?.stop('SIGKILL');
          await persistence?.close();
        }
      },
    );
  });
}
