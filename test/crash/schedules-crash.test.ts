/**
 * Schedules across kill -9, on every plugin, with a real server process (`temporal-ts server start`)
 * killed with SIGKILL and restarted on the same databases:
 * - an interval schedule keeps firing across repeated kills: every nominal time from the first to
 *   the last fires exactly once (one run per workflow id `<base>-<time>`, no gap, no twin), and the
 *   schedule's action count equals the runs that exist;
 * - times missed while the server was down fire after the restart when they are within the catch-up
 *   window, and are counted as missed (never started) when older; a run started just before a kill
 *   is recorded as an action after the restart, never counted missed (actions = runs, exactly).
 * No worker: the started runs stay Running, which ALLOW_ALL permits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { dropDatabase, engineAvailability, ENGINES, uniqueDbName, type Engine } from '../helpers/databases';
import { freePort } from '../helpers/processes';
import { prepareStore } from '../helpers/server-config';
import { ServerProcess, writeServerConfig } from './server-process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every run whose workflow id starts with `base-`, as visibility lists them: workflow id -> run count. */
async function runsByWorkflowId(client: Client, base: string, startTimes?: Map<string, number>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH '${base}-'` })) {
    out.set(w.workflowId, (out.get(w.workflowId) ?? 0) + 1);
    startTimes?.set(w.workflowId, w.startTime.getTime());
  }
  return out;
}

/** The nominal time a run's workflow id carries (`<base>-2026-01-01T00:00:00Z`). */
const nominalOf = (base: string, workflowId: string) => Date.parse(workflowId.slice(base.length + 1));

async function settle(client: Client, scheduleId: string, base: string): Promise<{ runs: Map<string, number>; taken: number; missed: number }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await client.schedule.getHandle(scheduleId).describe();
    const runs = await runsByWorkflowId(client, base);
    const total = [...runs.values()].reduce((a, b) => a + b, 0);
    if (total === d.info.numActionsTaken) return { runs, taken: d.info.numActionsTaken, missed: d.info.numActionsMissedCatchupWindow };
    if (Date.now() > deadline) assert.fail(`visibility shows ${total} runs, the schedule took ${d.info.numActionsTaken} actions`);
    await sleep(300);
  }
}

for (const engine of ENGINES) {
  describe(`schedules across kill -9 on ${engine}`, async () => {
    const skip = await engineAvailability(engine);

    test('every nominal time fires exactly once; missed times follow the catch-up window', { skip, timeout: 300_000 }, async () => {
      const tmp = mkdtempSync(join(tmpdir(), `sched-crash-${engine}-`));
      const dbs =
        engine === 'sqlite'
          ? { temporal: join(tmp, 'temporal.db'), visibility: join(tmp, 'visibility.db') }
          : { temporal: uniqueDbName('schedcrash'), visibility: uniqueDbName('schedcrash_vis') };
      let server: ServerProcess | undefined;
      let conn: Connection | undefined;
      try {
        prepareStore(engine, dbs.temporal, 'temporal');
        prepareStore(engine, dbs.visibility, 'visibility');
        const port = await freePort();
        server = new ServerProcess(writeServerConfig(tmp, engine as Engine, dbs, port));
        await server.start();
        conn = await Connection.connect({ address: `127.0.0.1:${port}` });
        const client = new Client({ connection: conn, namespace: 'default' });
        const action = (base: string) => ({
          type: 'startWorkflow' as const,
          workflowType: 'neverPolled',
          args: [],
          taskQueue: `sched-crash-${process.pid}`,
          workflowId: base,
        });

        // A: every second, killed five times at uneven moments
        const a = `a-${process.pid}-${Date.now()}`;
        await client.schedule.create({
          scheduleId: a,
          spec: { intervals: [{ every: '1s' }] },
          action: action(a),
          policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
        });
        // B: every second, catch-up window 10 s, created now and left down for 16 s below
        const b = `b-${process.pid}-${Date.now()}`;
        await client.schedule.create({
          scheduleId: b,
          spec: { intervals: [{ every: '1s' }] },
          action: action(b),
          policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '10s' },
        });
        for (const upMs of [1700, 900, 2300, 400, 1300]) {
          await sleep(upMs);
          await server.kill9();
          await sleep(300);
          await server.start();
        }
        await sleep(2000);
        const beforeDown = Date.now();
        await server.kill9();
        await sleep(16_000);
        const restartedAt = Date.now();
        await server.start();
        // the restarted server got to both schedules (a pause before that would skip the down time unseen)
        const deadline = Date.now() + 60_000;
        for (;;) {
          const [da, db] = [await client.schedule.getHandle(a).describe(), await client.schedule.getHandle(b).describe()];
          const last = (d: typeof da) => Math.max(0, ...d.info.recentActions.map((x) => x.scheduledAt.getTime()));
          if (last(da) >= restartedAt + 1000 && last(db) >= restartedAt + 1000) break;
          assert.ok(Date.now() < deadline, 'the schedules did not fire after the restart');
          await sleep(300);
        }
        await client.schedule.getHandle(a).pause('stop for the count');
        await client.schedule.getHandle(b).pause('stop for the count');

        // A: one run per nominal time, and every second from the first to the last is there
        const ra = await settle(client, a, a);
        assert.ok(ra.taken >= 20, `A took ${ra.taken} actions`);
        const twins = [...ra.runs].filter(([, n]) => n > 1);
        assert.deepEqual(twins, [], 'no workflow id started twice');
        const times = [...ra.runs.keys()].map((id) => nominalOf(a, id)).sort((x, y) => x - y);
        for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 1000, `a gap after ${new Date(times[i - 1]!).toISOString()}`);
        assert.equal(ra.missed, 0, 'the default catch-up window (a year) misses nothing');

        // B (catch-up window 10 s): every nominal time from its first run to its last either ran once
        // or was counted missed, and none ran when it was already older than the window
        const rb = await settle(client, b, b);
        assert.deepEqual(
          [...rb.runs].filter(([, n]) => n > 1),
          [],
          'no workflow id started twice',
        );
        const started = new Map<string, number>();
        await runsByWorkflowId(client, b, started);
        const bTimes = [...rb.runs.keys()].map((id) => nominalOf(b, id)).sort((x, y) => x - y);
        const bt = new Set(bTimes);
        let notRun = 0;
        for (let t = bTimes[0]!; t <= bTimes.at(-1)!; t += 1000) if (!bt.has(t)) notRun++;
        assert.equal(notRun, rb.missed, 'every time that did not run is counted missed, and only those');
        assert.ok(rb.missed >= 3, `B missed only ${rb.missed} times over a 16 s outage`);
        const iso = (t: number) => new Date(t).toISOString().slice(11, 23);
        for (const [wid, startMs] of started) {
          const t = nominalOf(b, wid);
          // a time buffered (committed) before the kill may start late: that decision was made in time
          if (t <= beforeDown + 1000) continue;
          // the start happens a moment after it is decided (the wake-up's two commits; slack for a loaded machine)
          assert.ok(startMs - t <= 10_000 + 5_000, `${iso(t)} started at ${iso(startMs)}, older than the catch-up window`);
        }
        // unless the restart itself took most of the window, the outage's last seconds ran after it
        const firstAfter = Math.min(...[...started.values()].filter((ms) => ms >= restartedAt));
        if (firstAfter - restartedAt < 7_000) {
          assert.ok(
            bTimes.some((t) => t > beforeDown + 1000 && t < restartedAt),
            `no time of the outage ran after the restart (first start ${iso(firstAfter)}, restart ${iso(restartedAt)})`,
          );
        }
      } catch (err) {
        if (server) console.error(server.log.slice(-5000));
        throw err;
      } finally {
        await conn?.close();
        await server?.stop();
        if (engine === 'sqlite') rmSync(tmp, { recursive: true, force: true });
        else {
          for (const db of Object.values(dbs)) await dropDatabase(engine, db).catch(() => undefined);
          rmSync(tmp, { recursive: true, force: true });
        }
      }
    });
  });
}
