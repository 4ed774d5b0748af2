/**
 * Schedules in a 2-process cluster on PostgreSQL and MariaDB (`temporal-ts server start --config`,
 * each a member with its own frontend, history and matching ports, 8 shards spread over both):
 * schedules created through one frontend, described, listed, paused and deleted through the other
 * (the RPCs reach the owner of each schedule's shard), and every schedule's runs, which live on
 * shards of both members, started exactly once per nominal time, no gap, and recorded by the
 * schedule (its starts and run reads cross members).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { dropDatabase, engineAvailability, uniqueDbName, type Engine } from '../helpers/databases';
import { freePort } from '../helpers/processes';
import { prepareStore, writeServerConfig } from '../helpers/server-config';
import { ServerProcess } from '../crash/server-process';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

for (const engine of ['postgres12', 'mysql8'] as Engine[]) {
  describe(`schedules in a 2-process cluster on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    test('created through A, read and changed through B; runs on both members, once per time', { skip, timeout: 180_000 }, async () => {
      const tmp = mkdtempSync(join(tmpdir(), `cluster-sched-${engine}-`));
      const dbs = { temporal: uniqueDbName('clsched'), visibility: uniqueDbName('clsched_vis') };
      const servers: ServerProcess[] = [];
      const conns: Connection[] = [];
      try {
        prepareStore(engine, dbs.temporal, 'temporal');
        prepareStore(engine, dbs.visibility, 'visibility');
        const ports: number[] = [];
        for (const name of ['A', 'B']) {
          const port = await freePort();
          ports.push(port);
          const config = writeServerConfig(tmp, name, engine, dbs, port, {
            numHistoryShards: 16, // both members own shards (8 over 2 leave one empty in 1 run of 128)
            logLevel: 'warn',
            rolePorts: { history: await freePort(), matching: await freePort() },
            extra: 'ui:\n  enabled: false\n',
          });
          servers.push(new ServerProcess(config));
        }
        await servers[0]!.start(60_000);
        await servers[1]!.start(60_000);
        const clients = await Promise.all(
          ports.map(async (p) => {
            const c = await Connection.connect({ address: `127.0.0.1:${p}` });
            conns.push(c);
            return new Client({ connection: c, namespace: 'default' });
          }),
        );
        const [a, b] = clients as [Client, Client];
        const ids = Array.from({ length: 6 }, (_, i) => `cl-${engine}-${process.pid}-${Date.now()}-${i}`);
        // SDK calls retry UNAVAILABLE while the shards settle between the members
        for (const id of ids) {
          await a.schedule.create({
            scheduleId: id,
            spec: { intervals: [{ every: '1s' }] },
            action: { type: 'startWorkflow', workflowType: 'neverPolled', args: [], taskQueue: `cl-${process.pid}`, workflowId: id },
            policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
          });
        }
        await sleep(6000);
        for (const id of ids) await b.schedule.getHandle(id).pause('stop for the count');
        const listed: string[] = [];
        for await (const s of b.schedule.list()) listed.push(s.scheduleId);
        for (const id of ids) assert.ok(listed.includes(id), `${id} listed through B`);
        for (const id of ids) {
          const d = await b.schedule.getHandle(id).describe();
          assert.equal(d.state.paused, true);
          assert.ok(d.info.numActionsTaken >= 3, `${id}: ${d.info.numActionsTaken} actions`);
          // visibility: one run per time, no gap, as many as the schedule counted
          const deadline = Date.now() + 30_000;
          for (;;) {
            const runs: string[] = [];
            for await (const w of a.workflow.list({ query: `WorkflowId STARTS_WITH '${id}-'` })) runs.push(w.workflowId);
            if (runs.length === d.info.numActionsTaken) {
              assert.equal(new Set(runs).size, runs.length, `${id}: a time started twice`);
              const times = runs.map((w) => Date.parse(w.slice(id.length + 1))).sort((x, y) => x - y);
              for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 1000, `${id}: a gap`);
              break;
            }
            assert.ok(Date.now() < deadline, `${id}: visibility shows ${runs.length} runs, the schedule took ${d.info.numActionsTaken}`);
            await sleep(300);
          }
          await b.schedule.getHandle(id).delete();
          await assert.rejects(a.schedule.getHandle(id).describe(), ScheduleNotFoundError);
        }
      } catch (err) {
        for (const s of servers) console.error(s.log.slice(-3000));
        throw err;
      } finally {
        for (const c of conns) await c.close();
        for (const s of servers) await s.stop();
        for (const db of Object.values(dbs)) await dropDatabase(engine, db).catch(() => undefined);
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}
