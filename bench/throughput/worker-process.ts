/** `--worker child`: the bench worker in its own process; argv[2] = JSON BenchWorkerOptions. Prints READY. */
import { benchBundle, createBenchWorker, type BenchWorkerOptions } from './worker';

void (async () => {
  const o = JSON.parse(process.argv[2]!) as BenchWorkerOptions;
  const { worker, connection } = await createBenchWorker(o, await benchBundle());
  const running = worker.run();
  process.stdout.write('READY\n');
  process.on('SIGTERM', () => worker.shutdown());
  await running;
  await connection.close();
  process.exit(0);
})().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
