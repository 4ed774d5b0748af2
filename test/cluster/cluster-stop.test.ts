/**
 * A clean stop of a cluster member on PostgreSQL logs no error. Two server processes share one
 * database; load (the crash-load workflows: activities, timers, signals) runs through both, each with
 * its worker still polling, when A is stopped with SIGTERM: its queues, membership and matching stop
 * and their work in flight drains before the stores close, so no timer / transfer / visibility pass or
 * poll meets a closed pool ("Cannot use a pool after calling end on the pool") and no line of its log
 * is at error level. B then finishes every workflow, and is stopped the same way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createCrashActivities, type ActivityRun } from '../crash/activities';
import { expectedResult, inputFor, rng, signalValue } from '../crash/load-spec';
import { ServerProcess } from '../crash/server-process';
import type { CrashLoadInput } from '../crash/workflows';
import { dropDatabase, engineAvailability, uniqueDbName } from '../helpers/databases';
import { freePort } from '../helpers/processes';
import { prepareStore, writeServerConfig } from '../helpers/server-config';

const N = 24;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a stopped server wrote after `from` (its stdout may still be arriving when it exits). */
async function outputAfterStop(server: ServerProcess, from: number): Promise<string> {
  for (let i = 0; i < 50 && !/temporal-ts server stopped/.test(server.output().slice(from)); i++) await sleep(100);
  const out = server.output().slice(from);
  assert.match(out, /temporal-ts server stopped/, 'a clean stop (not killed after 5 s)');
  return out;
}

/** The lines of a server's output that are errors: pino level 50 and above, or a store used after it closed. */
function errorLines(out: string): string[] {
  return out.split('\n').filter((line) => {
    if (/Cannot use a pool|pool after calling end/i.test(line)) return true;
    const m = /"level":(\d+)/.exec(line);
    return m !== null && Number(m[1]) >= 50;
  });
}

async function retrying<T>(fn: () => Promise<T>, deadlineMs = 90_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await sleep(250);
    }
  }
}

describe('stopping a cluster member (PostgreSQL)', async () => {
  const skip = await engineAvailability('postgres12');
  test('SIGTERM under load: no error in its log, the other member finishes the load', { skip, timeout: 240_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cluster-stop-'));
    const dbs = { temporal: uniqueDbName('clstop'), visibility: uniqueDbName('clstop_vis') };
    const servers: ServerProcess[] = [];
    const workers: Worker[] = [];
    const workerRuns: Promise<void>[] = [];
    const conns: { close(): Promise<void> }[] = [];
    try {
      prepareStore('postgres12', dbs.temporal, 'temporal');
      prepareStore('postgres12', dbs.visibility, 'visibility');
      const ports: number[] = [];
      for (const name of ['A', 'B']) {
        const port = await freePort();
        ports.push(port);
        const config = writeServerConfig(tmp, name, 'postgres12', dbs, port, {
          numHistoryShards: 16,
          logLevel: 'info',
          rolePorts: { history: await freePort(), matching: await freePort() },
          extra: 'ui:\n  enabled: false\n',
        });
        servers.push(new ServerProcess(config));
      }
      await servers[0]!.start(60_000);
      await servers[1]!.start(60_000);
      Runtime.install({ logger: new DefaultLogger('ERROR') });
      const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../crash/workflows'), logger: new DefaultLogger('WARN') });
      const taskQueue = `clstop-${process.pid}`;
      const runs: ActivityRun[] = [];
      const clients: Client[] = [];
      for (const port of ports) {
        const nc = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
        conns.push(nc);
        const w = await Worker.create({ connection: nc, namespace: 'default', taskQueue, workflowBundle: bundle, activities: createCrashActivities(runs) });
        workers.push(w);
        workerRuns.push(w.run());
        const c = await Connection.connect({ address: `127.0.0.1:${port}` });
        conns.push(c);
        clients.push(new Client({ connection: c, namespace: 'default' }));
      }
      let aDown = false;
      const via = (i: number) => (aDown ? clients[1]! : clients[i % 2]!);
      const rand = rng(77);
      const records = Array.from({ length: N }, (_, i) => ({ id: `clstop-${process.pid}-${i}`, input: inputFor(i, rand) as CrashLoadInput, result: '' }));
      const load = Promise.all(
        records.map(async (rec, i) => {
          await sleep(i * 300);
          await retrying(() => via(i).workflow.start('crashLoad', { taskQueue, workflowId: rec.id, args: [rec.input], workflowTaskTimeout: '5s' }));
          for (let j = 0; j < rec.input.signals; j++) {
            await sleep(200);
            await retrying(() =>
              via(i + j)
                .workflow.getHandle(rec.id)
                .signal('add', signalValue(rec.input, j)),
            );
          }
          rec.result = await retrying(async () => (await clients[1]!.workflow.getHandle(rec.id).result()) as string, 150_000);
        }),
      );
      // mid-load: timers armed, activities and polls in flight on both members; A's worker keeps polling
      await sleep(4000);
      aDown = true;
      const before = servers[0]!.output().length;
      await servers[0]!.stop();
      const aErrors = errorLines(await outputAfterStop(servers[0]!, before));
      assert.deepEqual(aErrors, [], `the SIGTERMed member logged errors:\n${aErrors.join('\n')}`);
      workers[0]!.shutdown();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        load,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `not finished: ${records
                    .filter((r) => r.result === '')
                    .map((r) => r.id)
                    .join(', ')}`,
                ),
              ),
            120_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      for (const rec of records) assert.equal(rec.result, expectedResult(rec.input), rec.id);
      workers[1]!.shutdown();
      await Promise.all(workerRuns);
      const beforeB = servers[1]!.output().length;
      await servers[1]!.stop();
      const bErrors = errorLines(await outputAfterStop(servers[1]!, beforeB));
      assert.deepEqual(bErrors, [], `the last member logged errors:\n${bErrors.join('\n')}`);
    } finally {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(workerRuns.map((r) => r.catch(() => undefined)));
      for (const c of conns) await c.close().catch(() => undefined);
      for (const s of servers) await s.stop();
      for (const db of Object.values(dbs)) await dropDatabase('postgres12', db).catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
