/** Workflows of the operations tests (reset, delete, activity completion by id, task queue description). */
import * as wf from '@temporalio/workflow';
import type * as activities from './activities';

export const addSignal = wf.defineSignal<[string]>('add');
export const doneSignal = wf.defineSignal('done');

/** Collects `add` signals until `done` and answers them joined: which signals a run saw shows in its result. */
export async function signalCollector(): Promise<string> {
  const got: string[] = [];
  let done = false;
  wf.setHandler(addSignal, (s) => void got.push(s));
  wf.setHandler(doneSignal, () => void (done = true));
  await wf.condition(() => done);
  return got.join(',');
}

/** Waits for one signal, then runs an activity on `taskQueue`, then waits for `done`: reset to before the activity runs it again. */
export async function signalThenActivity(taskQueue: string): Promise<string> {
  const { greetActivity } = wf.proxyActivities<typeof activities>({ taskQueue, startToCloseTimeout: '30s' });
  const got: string[] = [];
  let done = false;
  wf.setHandler(addSignal, (s) => void got.push(s));
  wf.setHandler(doneSignal, () => void (done = true));
  await wf.condition(() => got.length > 0);
  const greeting = await greetActivity(got[0]!);
  await wf.condition(() => done);
  return `${greeting}|${got.join(',')}`;
}

/** Runs an activity on a queue no worker polls: something else completes it (the ...ById calls). */
export async function externallyCompleted(taskQueue: string): Promise<string> {
  const { greetActivity } = wf.proxyActivities<typeof activities>({ taskQueue, startToCloseTimeout: '2m', retry: { maximumAttempts: 1 } });
  try {
    return await greetActivity('nobody');
  } catch (err) {
    return `failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`;
  }
}

/** Sleeps `ms` while collecting `add` signals; answers them joined: a reset across the sleep needs the timer re-armed. */
export async function sleepyCollector(ms: number): Promise<string> {
  const got: string[] = [];
  wf.setHandler(addSignal, (s) => void got.push(s));
  await wf.sleep(ms);
  return got.join(',');
}
