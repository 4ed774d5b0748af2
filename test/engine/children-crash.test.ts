import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { runWorkerUntil, startServer, tempDbFile } from './harness';

const CHILD_STARTED = 31;
const CHILD_COMPLETED = 32;

function spawnServer(file: string): Promise<{ port: number; kill9(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'server-process.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), kill9: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGKILL'))) });
    });
    child.once('exit', (code) => reject(new Error(`server process exited early (${code})`)));
  });
}

test('kill -9 while parents start children: after a restart every parent gets its one child', async () => {
  const db = tempDbFile();
  const taskQueue = `tq-child-crash-${process.pid}`;
  const ids: string[] = [];
  try {
    const proc = await spawnServer(db.file);
    let conn = await Connection.connect({ address: `127.0.0.1:${proc.port}` });
    let client = new Client({ connection: conn });
    // parents keep starting while the worker runs; the server dies in the middle of it (only once
    // the worker exists: a worker killed half-created keeps its workflow threads, and the process, alive)
    const killed = async () => {
      const t0 = Date.now();
      // at least 1.5 s and at least 10 parents (a busy machine starts fewer than 10 in 1.5 s)
      for (let i = 0; Date.now() - t0 < 1500 || i < 10; i++) {
        const workflowId = `crash-parent-${process.pid}-${Date.now()}-${i}`;
        await client.workflow.start('parentOfChild', { taskQueue, workflowId, args: [`p${i}`] });
        ids.push(workflowId);
        await new Promise((r) => setTimeout(r, 25));
      }
      await proc.kill9();
    };
    await runWorkerUntil(proc.port, taskQueue, killed).catch(() => undefined);
    await conn.close().catch(() => undefined);
    assert.ok(ids.length >= 10, `only ${ids.length} parents started`);

    const server = await startServer(db.file);
    try {
      conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
      client = new Client({ connection: conn });
      const results = await runWorkerUntil(server.port, taskQueue, Promise.all(ids.map((id) => client.workflow.getHandle(id).result())));
      ids.forEach((id, i) => assert.equal(results[i], `child says hi to p${i}`, id));
      for (const id of ids) {
        const types = (await client.workflow.getHandle(id).fetchHistory()).events!.map((e) => Number(e.eventType));
        assert.equal(types.filter((t) => t === CHILD_STARTED).length, 1, `${id}: one ChildWorkflowExecutionStarted`);
        assert.equal(types.filter((t) => t === CHILD_COMPLETED).length, 1, `${id}: one ChildWorkflowExecutionCompleted`);
        // one child run: the current run of the child id is the first of its chain
        const d = await client.workflow.getHandle(`${id}-child`).describe();
        assert.equal(d.raw.workflowExecutionInfo?.firstRunId, d.runId, `${id}: the child ran once`);
      }
      await conn.close();
    } finally {
      await server.stop();
    }
  } finally {
    db.cleanup();
  }
});
