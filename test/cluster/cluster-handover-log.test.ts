/**
 * A shard handed over to a member that joins is no error (PostgreSQL). A serves alone and takes a
 * steady stream of workflow starts; B joins and acquires its share at once, while A still routes
 * starts to those shards until its next refresh (under a second): those writes find the shard taken.
 * A says so at info (`shard N handed over to <B> …`), not at error level: it was a hand-over to a
 * live member, and the start is retried on B. No line of A's log is at error level.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { ServerProcess } from '../crash/server-process';
import { dropDatabase, engineAvailability, uniqueDbName } from '../helpers/databases';
import { freePort } from '../helpers/processes';
import { prepareStore, writeServerConfig } from '../helpers/server-config';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const HANDED_OVER = /"level":30,.*shard \d+ handed over to /;

/** Lines at pino level 50 (error) and above. */
function errorLines(out: string): string[] {
  return out.split('\n').filter((line) => Number(/"level":(\d+)/.exec(line)?.[1] ?? 0) >= 50);
}

describe('a shard handed over to a joining member (PostgreSQL)', async () => {
  const skip = await engineAvailability('postgres12');
  test('is logged at info by the member that had it, with no error line', { skip, timeout: 120_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cluster-handover-'));
    const dbs = { temporal: uniqueDbName('clhand'), visibility: uniqueDbName('clhand_vis') };
    const servers: ServerProcess[] = [];
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
      const [a, b] = servers as [ServerProcess, ServerProcess];
      await a.start(60_000);
      const connection = await Connection.connect({ address: `127.0.0.1:${ports[0]}` });
      try {
        const client = new Client({ connection });
        let streaming = true;
        let n = 0;
        // starts through A, spread over every shard, until B's share has surely moved
        const stream = Promise.all(
          Array.from({ length: 16 }, async () => {
            while (streaming) await client.workflow.start('neverPolled', { taskQueue: 'clhand', workflowId: `clhand-${n++}` });
          }),
        );
        await sleep(1000);
        await b.start(60_000);
        // until A has handed a shard over mid-write (its refresh comes within a second of B's join)
        for (let i = 0; i < 100 && !HANDED_OVER.test(a.output()); i++) await sleep(100);
        await sleep(2000);
        streaming = false;
        await stream;
        assert.ok(n > 0);
      } finally {
        await connection.close();
      }
      const errors = errorLines(a.output());
      assert.deepEqual(errors, [], `A logged errors:\n${errors.join('\n')}`);
      assert.match(a.output(), HANDED_OVER, 'a write of A met a shard B had taken (the case under test)');
    } catch (err) {
      for (const [i, s] of servers.entries()) console.log(`---- ${'AB'[i]}\n${s.log.slice(-20_000)}`);
      throw err;
    } finally {
      for (const s of servers) await s.stop().catch(() => undefined);
      for (const db of Object.values(dbs)) await dropDatabase('postgres12', db).catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
