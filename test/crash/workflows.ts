/**
 * The crash-load workflow (bundled by the worker from the compiled JS). Its result is a pure function
 * of its input, its activities' results and the signals it received, so the test can recompute it:
 * see `expectedResult` in ./load-spec.ts, which must stay in step with this file.
 */
import * as wf from '@temporalio/workflow';
import type { createCrashActivities } from './activities';

type Acts = ReturnType<typeof createCrashActivities>;

const { crashMix } = wf.proxyActivities<Acts>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 1.5, maximumInterval: '1s', maximumAttempts: 20 },
});
const { crashFlaky } = wf.proxyActivities<Acts>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '150ms', backoffCoefficient: 1.5, maximumInterval: '1s', maximumAttempts: 20 },
});

export const addSignal = wf.defineSignal<[number]>('add');

export interface CrashLoadInput {
  seed: number;
  /** signals the workflow waits for before it finishes */
  signals: number;
  /** ms of the two timers */
  timerMs: [number, number];
  /** attempts of the flaky activity that fail before one succeeds */
  failures: number;
}

export async function crashLoad(input: CrashLoadInput): Promise<string> {
  const received: number[] = [];
  wf.setHandler(addSignal, (v: number) => {
    received.push(v);
  });
  const a = await crashMix(input.seed, 1);
  await wf.sleep(input.timerMs[0]);
  const b = await crashFlaky(`${wf.workflowInfo().workflowId}`, input.failures, a);
  await wf.condition(() => received.length >= input.signals);
  const [c, d] = await Promise.all([crashMix(b, 2), wf.sleep(input.timerMs[1]).then(() => crashMix(a + b, 3))]);
  const sigs = [...received].sort((x, y) => x - y);
  return `${input.seed}|${a}|${b}|${sigs.join(',')}|${c}|${d}|${received.length}`;
}
