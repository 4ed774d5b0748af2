/**
 * Workflows of the simulation load (bundled by the SDK worker from the compiled JS): activities with
 * retries, timers, signals, a child workflow and continue-as-new, each ending with a result the
 * runner can predict (src/simulate/expected.ts).
 */
import * as wf from '@temporalio/workflow';
import type * as activities from './activities';

const { simCompute } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 20 },
});

export const goSignal = wf.defineSignal<[number]>('go');

export async function simActivities(seed: number, n: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await simCompute(seed + i);
  return sum;
}

export async function simTimer(seed: number, ms: number): Promise<number> {
  await wf.sleep(ms);
  return seed * 2;
}

export async function simSignal(seed: number): Promise<number> {
  let value: number | undefined;
  wf.setHandler(goSignal, (v) => {
    value ??= v;
  });
  await wf.condition(() => value !== undefined);
  return seed + value!;
}

export async function simChild(seed: number): Promise<number> {
  const r = await wf.executeChild(simActivities, { args: [seed, 2], workflowId: `${wf.workflowInfo().workflowId}-child` });
  return r + 1;
}

export async function simContinue(seed: number, remaining: number, acc = 0): Promise<number> {
  if (remaining === 0) return seed + acc;
  await wf.sleep(10);
  return await wf.continueAsNew<typeof simContinue>(seed, remaining - 1, acc + remaining);
}
