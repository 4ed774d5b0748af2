/**
 * The official TS worker for the benchmark, with options sized for many short workflows. Used in the
 * bench process itself (`--worker inproc`) or in a child process (`--worker child`, see
 * worker-process.ts).
 */
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import * as activities from './activities';

export interface BenchWorkerOptions {
  address: string;
  taskQueue: string;
  /** in-flight workflows the bench keeps; sizes slots and the cache */
  concurrency: number;
}

let runtimeInstalled = false;

export async function benchBundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
}

export async function createBenchWorker(o: BenchWorkerOptions, bundle: WorkflowBundle): Promise<{ worker: Worker; connection: NativeConnection }> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: o.address });
  const slots = Number(process.env.BENCH_WFT_SLOTS ?? Math.max(20, Math.min(1000, 2 * o.concurrency)));
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: o.taskQueue,
    workflowBundle: bundle,
    activities,
    maxConcurrentWorkflowTaskExecutions: slots,
    maxConcurrentActivityTaskExecutions: slots,
    maxConcurrentWorkflowTaskPolls: Number(process.env.BENCH_WFT_POLLERS ?? 32),
    maxConcurrentActivityTaskPolls: Number(process.env.BENCH_ACT_POLLERS ?? 32),
    // short workflows: a cache a bit larger than what is in flight keeps every run warm
    maxCachedWorkflows: Number(process.env.BENCH_CACHED_WORKFLOWS ?? slots * 2),
    stickyQueueScheduleToStartTimeout: '10s',
    // two workflow threads: with one, the single thread running workflow code was the bottleneck
    workflowThreadPoolSize: Number(process.env.BENCH_WF_THREADS ?? 2),
    ...(process.env.BENCH_REUSE_V8 ? { reuseV8Context: process.env.BENCH_REUSE_V8 === '1' } : {}),
    nonStickyToStickyPollRatio: Number(process.env.BENCH_NONSTICKY_RATIO ?? 1),
  });
  return { worker, connection };
}
