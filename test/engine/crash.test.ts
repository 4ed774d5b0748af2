import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { runWorkerUntil, startServer, tempDbFile } from './harness';

function spawnServer(file: string): Promise<{ port: number; kill9(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'server-process.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m)
        resolve({
          port: Number(m[1]),
          kill9: () =>
            new Promise<void>((r) => {
              child.once('exit', () => r());
              child.kill('SIGKILL');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`server process exited early (${code})`)));
  });
}

test('kill -9 loses no acknowledged start or signal', async () => {
  const db = tempDbFile();
  const taskQueue = `tq-crash-${process.pid}`;
  const workflowId = `crash-${process.pid}-${Date.now()}`;
  try {
    const child = await spawnServer(db.file);
    let conn = await Connection.connect({ address: `127.0.0.1:${child.port}` });
    let client = new Client({ connection: conn });
    const h = await client.workflow.start('accumulator', { taskQueue, workflowId });
    let expected = 0;
    for (let i = 1; i <= 25; i++) {
      await h.signal('add', i);
      expected += i;
    }
    await child.kill9();
    await conn.close();

    const server = await startServer(db.file);
    conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    client = new Client({ connection: conn });
    const handle = client.workflow.getHandle(workflowId);
    await handle.signal('done');
    assert.equal(await runWorkerUntil(server.port, taskQueue, handle.result()), expected);
    const signals = (await handle.fetchHistory()).events!.filter((e) => e.eventType === 26 /* Signaled */);
    assert.equal(signals.length, 26);
    await conn.close();
    await server.stop();
  } finally {
    db.cleanup();
  }
});
