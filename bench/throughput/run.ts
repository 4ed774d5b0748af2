/**
 * Throughput of the engine on SQLite: N workflows (each one activity) run with a real worker.
 * Usage: node dist/bench/throughput/run.js [workflows=200] [concurrency=20]
 */
import { Client, Connection } from '@temporalio/client';
import { withWorker } from '../../test/engine/harness';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200);
  const concurrency = Number(process.argv[3] ?? 20);
  await withWorker(async ({ client, taskQueue, port }) => {
    void Client;
    void Connection;
    void port;
    const started = Date.now();
    let next = 0;
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          const t0 = Date.now();
          await client.workflow.execute('greetViaActivity', { taskQueue, workflowId: `bench-${started}-${i}`, args: [String(i)] });
          latencies.push(Date.now() - t0);
        }
      }),
    );
    const secs = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    console.log(JSON.stringify({ workflows: n, concurrency, seconds: secs, workflowsPerSecond: +(n / secs).toFixed(1), p50ms: p(0.5), p99ms: p(0.99) }));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
