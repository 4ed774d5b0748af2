/**
 * Three server processes on one PostgreSQL (and one MariaDB) database, started the production way
 * (`temporal-ts server start --config`), each a cluster member with its own frontend, history and
 * matching ports. Load (the crash-load workflows: activities, a retried activity, timers, signals)
 * goes through two of them, A and B: starts and signals alternate between their frontends, a worker
 * polls each. Then:
 *
 *  1. C, which owns a share of the shards and task queues, is SIGKILLed: its shards are taken over
 *     by A and B once its membership record expires (the failover time is measured on the shards
 *     table and printed; by default it is under 15 s);
 *  2. C is restarted and takes its share back;
 *  3. B is stopped with SIGTERM (its worker first): it hands its shards over at once (the time is
 *     printed), the load goes on through A.
 *
 * At the end every workflow completed exactly once with the result its inputs determine, its
 * history is whole (event ids dense, one completion, the last event; every signal exactly once), and
 * no shard is left without a live owner. Each engine stays under 3 minutes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { dropDatabase, engineAvailability, uniqueDbName, type Engine } from '../helpers/databases';
import { freePort, runCli, TEMPORAL_TS } from '../helpers/processes';
import type { ClusterDescription } from '../../src/server/cluster/describe';
import { connectConfig, prepareStore, writeServerConfig } from '../helpers/server-config';
import { createCrashActivities, type ActivityRun } from '../crash/activities';
import { expectedResult, inputFor, rng, signalValue } from '../crash/load-spec';
import { ServerProcess } from '../crash/server-process';
import type { CrashLoadInput } from '../crash/workflows';
import { openPersistence, readJsonBlob, FORMAT, READABLE, type PersistenceBundle } from '../../src/persistence';

const N = Number(process.env.CLUSTER_WORKFLOWS ?? 60);
// 16: each of 3 members holds 5 or 6 (bounded loads, ring.ts; plain rendezvous hashing of 8 left a
// member without a shard in about 1 run of 9, and then the member to kill owned nothing).
// CLUSTER_SHARDS=32 stresses the hand-overs: a run of 2026-12-06 left workflows stuck after the
// SIGTERM hand-over, most likely a sync-matched task put back into a task queue unloaded by the move
// (its transfer task then waited forever; fixed, see matching-handoff.test.ts); since, 32-shard runs
// passed 4 of 4 on PostgreSQL and 3 of 3 on MariaDB.
const SHARDS = Number(process.env.CLUSTER_SHARDS ?? 16);
const START_SPAN_MS = 25_000;
const EventType = temporal.api.enums.v1.EventType;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** bundled once for both engines, while the first servers start */
let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
const workflowBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../crash/workflows'), logger: new DefaultLogger('WARN') }));

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

async function retrying<T>(what: string, fn: () => Promise<T>, deadlineMs = 90_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw new Error(`${what}: still failing after ${deadlineMs} ms: ${(err as Error).message}`, { cause: err });
      await sleep(250);
    }
  }
}

/** Which process (hostname:pid) holds each shard, from the shards table. */
async function shardOwners(store: PersistenceBundle): Promise<Map<number, string>> {
  const rows = await store.shards.listShards();
  return new Map(rows.map((r) => [r.shardId, readJsonBlob<{ owner: string }>(r.info, FORMAT.shardInfo, READABLE.shardInfo).owner]));
}

const pidOf = (owner: string) => Number(owner.slice(owner.lastIndexOf(':') + 1));

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - t0;
}

for (const engine of ['postgres12', 'mysql8'] as Engine[]) {
  describe(`a 3-process cluster on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    test(
      'load through two processes; SIGKILL the third, restart it, SIGTERM another: nothing lost, duplicated or stuck',
      { skip, timeout: 180_000 },
      async () => {
        const began = Date.now();
        const mark = (what: string) => console.log(`[cluster ${engine}] ${((Date.now() - began) / 1000).toFixed(1)}s ${what}`);
        const tmp = mkdtempSync(join(tmpdir(), `cluster-${engine}-`));
        const dbs = { temporal: uniqueDbName('cluster'), visibility: uniqueDbName('cluster_vis') };
        const configs: string[] = [];
        const servers: Record<'A' | 'B' | 'C', ServerProcess> = {} as never;
        const ports: Record<'A' | 'B' | 'C', number> = {} as never;
        const workers: Worker[] = [];
        const workerRuns: Promise<void>[] = [];
        const runs: ActivityRun[] = [];
        const conns: { close(): Promise<void> }[] = [];
        let store: PersistenceBundle | undefined;
        try {
          void workflowBundle().catch(() => undefined); // awaited where the workers are made
          prepareStore(engine, dbs.temporal, 'temporal');
          prepareStore(engine, dbs.visibility, 'visibility');
          for (const name of ['A', 'B', 'C'] as const) {
            ports[name] = await freePort();
            const config = writeServerConfig(tmp, `${name}`, engine, dbs, ports[name], {
              numHistoryShards: SHARDS,
              logLevel: 'info',
              rolePorts: { history: await freePort(), matching: await freePort() },
              extra: 'ui:\n  enabled: false\n',
            });
            configs.push(config);
            servers[name] = new ServerProcess(config);
          }
          // A first (it creates the cluster metadata), then B and C together
          await servers.A.start(60_000);
          await Promise.all([servers.B.start(60_000), servers.C.start(60_000)]);
          store = await openPersistence(connectConfig(engine, dbs.temporal));
          const pids = () => new Set([servers.A.pid, servers.B.pid, servers.C.pid].filter((p) => p !== undefined));
          await waitFor(
            'the shards spread over the three members',
            async () => new Set([...(await shardOwners(store!)).values()].map(pidOf)).size === 3,
            30_000,
          );
          mark(`3 members; shards: ${JSON.stringify(Object.fromEntries([...(await shardOwners(store)).entries()].map(([s, o]) => [s, pidOf(o)])))}`);
          // what an operator sees: admin cluster describe (text for people, -o json checked here)
          const describe = (): ClusterDescription => {
            const r = runCli(TEMPORAL_TS, ['admin', 'cluster', 'describe', '--config', configs[0]!, '-o', 'json']);
            assert.equal(r.status, 0, `admin cluster describe failed:\n${r.stderr}`);
            return JSON.parse(r.stdout) as ClusterDescription;
          };
          const d0 = describe();
          assert.deepEqual(
            d0.members.map((m) => m.state),
            ['alive', 'alive', 'alive'],
          );
          assert.deepEqual(
            d0.members.flatMap((m) => m.shards).sort((a, b) => a - b),
            Array.from({ length: SHARDS }, (_, i) => i + 1),
            'every shard held by one member',
          );
          assert.ok(
            d0.members.every((m) => m.shards.length > 0 && m.ports.frontend && m.ports.history && m.ports.matching),
            JSON.stringify(d0.members),
          );
          assert.deepEqual(new Set(d0.members.map((m) => m.ports.frontend)), new Set(Object.values(ports)));
          console.log(runCli(TEMPORAL_TS, ['admin', 'cluster', 'describe', '--config', configs[0]!]).stdout);

          // ---------------------------------------------------------------- load through A and B
          installRuntime();
          const taskQueue = `cluster-${engine}-${process.pid}`;
          const clients: Record<'A' | 'B', Client> = {} as never;
          for (const name of ['A', 'B'] as const) {
            const address = `127.0.0.1:${ports[name]}`;
            const nc = await NativeConnection.connect({ address });
            conns.push(nc);
            const w = await Worker.create({
              connection: nc,
              namespace: 'default',
              taskQueue,
              workflowBundle: await workflowBundle(),
              activities: createCrashActivities(runs),
            });
            workers.push(w);
            workerRuns.push(w.run());
            const c = await Connection.connect({ address });
            conns.push(c);
            clients[name] = new Client({ connection: c, namespace: 'default' });
          }
          let bDown = false;
          const via = (i: number) => (bDown || i % 2 === 0 ? clients.A : clients.B);
          const rand = rng(4242);
          const records = Array.from({ length: N }, (_, i) => ({
            id: `cluster-${engine}-${began}-${i}`,
            input: inputFor(i, rand) as CrashLoadInput,
            result: '',
          }));
          let finished = 0;
          const load = Promise.all(
            records.map(async (rec, i) => {
              await sleep(Math.floor((i / N) * START_SPAN_MS));
              await retrying(`start ${rec.id}`, async () => {
                try {
                  await via(i).workflow.start('crashLoad', { taskQueue, workflowId: rec.id, args: [rec.input], workflowTaskTimeout: '5s' });
                } catch (err) {
                  if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
                }
              });
              for (let j = 0; j < rec.input.signals; j++) {
                await sleep(200);
                await retrying(`signal ${rec.id}#${j}`, () =>
                  via(i + j + 1).workflowService.signalWorkflowExecution({
                    namespace: 'default',
                    workflowExecution: { workflowId: rec.id },
                    signalName: 'add',
                    input: { payloads: [defaultPayloadConverter.toPayload(signalValue(rec.input, j))] },
                    identity: 'cluster-test',
                    requestId: `${rec.id}-signal-${j}`,
                  }),
                );
              }
              rec.result = await retrying(`result of ${rec.id}`, async () => (await clients.A.workflow.getHandle(rec.id).result()) as string, 150_000);
              finished += 1;
            }),
          );

          // ---------------------------------------------------------------- 1. SIGKILL C
          await sleep(6000);
          const cPid = servers.C.pid!;
          const cShards = [...(await shardOwners(store)).entries()].filter(([, o]) => pidOf(o) === cPid).map(([s]) => s);
          const killedAt = Date.now();
          await servers.C.kill9();
          const failoverMs = await waitFor(
            `the shards of the SIGKILLed member (${cShards.join(', ')}) taken over`,
            async () => {
              const owners = await shardOwners(store!);
              return cShards.every((s) => pids().has(pidOf(owners.get(s)!)));
            },
            40_000,
          );
          mark(`failover: SIGKILL of C -> its ${cShards.length} shards owned by A and B after ${failoverMs} ms (finished ${finished}/${N})`);
          console.log(`FAILOVER ${engine}: ${cShards.length} shards of a SIGKILLed member taken over in ${(failoverMs / 1000).toFixed(1)} s`);
          assert.ok(Date.now() - killedAt < 15_000 + 2000, `failover took ${failoverMs} ms; the default promise is 15 s`);
          const d1 = describe();
          assert.equal(d1.members.find((m) => m.identity.endsWith(`:${cPid}`))?.state, 'expired', 'the killed member is shown expired');
          assert.deepEqual(d1.members.find((m) => m.identity.endsWith(`:${cPid}`))?.shards, [], 'and holds no shard');

          // ---------------------------------------------------------------- 2. restart C
          await servers.C.start(60_000);
          const rejoinMs = await waitFor(
            'the restarted member takes its share back',
            async () => [...(await shardOwners(store!)).values()].some((o) => pidOf(o) === servers.C.pid),
            30_000,
          );
          mark(`C restarted (pid ${servers.C.pid}) and owns shards again after ${rejoinMs} ms`);

          // ---------------------------------------------------------------- 3. SIGTERM B (its worker first)
          await sleep(3000);
          bDown = true;
          workers[1]!.shutdown();
          await workerRuns[1];
          const bPid = servers.B.pid!;
          const bShards = [...(await shardOwners(store)).entries()].filter(([, o]) => pidOf(o) === bPid).map(([s]) => s);
          const stoppedAt = Date.now();
          await servers.B.stop();
          await waitFor(
            'the shards of the SIGTERMed member taken over',
            async () => {
              const owners = await shardOwners(store!);
              return bShards.every((s) => pidOf(owners.get(s)!) !== bPid);
            },
            15_000,
          );
          const handoverMs = Date.now() - stoppedAt;
          mark(`SIGTERM of B: its ${bShards.length} shards handed over ${handoverMs} ms after the signal`);
          assert.ok(handoverMs < 5000, `a graceful stop hands its shards over at once (took ${handoverMs} ms)`);

          // ---------------------------------------------------------------- the end: everything completed, once
          // bounded, so that a stuck workflow fails the test here and the finally below stops the
          // servers (a result() long poll never gives up; past the test's timeout they would be left running)
          let loadTimer: NodeJS.Timeout | undefined;
          await Promise.race([
            load,
            new Promise<never>((_, reject) => {
              loadTimer = setTimeout(() => {
                const open = records.filter((r) => r.result === '').map((r) => r.id);
                reject(new Error(`${open.length} workflows not finished 90 s after the hand-over: ${open.slice(0, 10).join(', ')}`));
              }, 90_000);
            }),
          ]).finally(() => clearTimeout(loadTimer));
          mark(`all ${N} workflows finished; ${runs.length} activity runs`);
          const problems: string[] = [];
          for (const rec of records)
            if (rec.result !== expectedResult(rec.input)) problems.push(`${rec.id}: result ${rec.result} != ${expectedResult(rec.input)}`);
          for (const rec of records) {
            const events = (await retrying(`history of ${rec.id}`, () => clients.A.workflow.getHandle(rec.id).fetchHistory())).events ?? [];
            events.forEach((e, i) => {
              if (Number(e.eventId) !== i + 1) problems.push(`${rec.id}: event #${i + 1} has id ${Number(e.eventId)}`);
            });
            const done = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
            if (done.length !== 1 || events[events.length - 1] !== done[0]) problems.push(`${rec.id}: ${done.length} completions, not the last event`);
            const signals = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length;
            if (signals !== rec.input.signals) problems.push(`${rec.id}: ${signals} signals recorded, ${rec.input.signals} sent`);
          }
          const owners = await shardOwners(store);
          const live = pids();
          for (let s = 1; s <= SHARDS; s++)
            if (!live.has(pidOf(owners.get(s) ?? ':0'))) problems.push(`shard ${s} is held by ${owners.get(s)}, not a live member`);
          if (problems.length > 0) {
            for (const name of ['A', 'B', 'C'] as const) console.log(`---- ${name}\n${servers[name].log.split('\n').slice(-60).join('\n')}`);
            assert.fail(`${problems.length} problems:\n${problems.slice(0, 30).join('\n')}`);
          }
          mark('nothing lost, duplicated or stuck');
        } finally {
          for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
          await Promise.all(workerRuns.map((r) => r.catch(() => undefined)));
          for (const c of conns) await c.close().catch(() => undefined);
          await store?.close();
          for (const s of Object.values(servers)) await s.stop();
          for (const db of Object.values(dbs)) await dropDatabase(engine, db).catch(() => undefined);
          rmSync(tmp, { recursive: true, force: true });
        }
      },
    );
  });
}
