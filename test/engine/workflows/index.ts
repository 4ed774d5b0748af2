/** Workflows used by the engine tests (bundled by the worker from the compiled JS). */
import * as wf from '@temporalio/workflow';
import type * as activities from './activities';

const { greetActivity } = wf.proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });
const { flakyActivity } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 5 },
});
const { alwaysFailsActivity } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '50ms', maximumAttempts: 2 },
});
const { slowActivity } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '1s',
  retry: { initialInterval: '50ms', maximumAttempts: 2 },
});
const { heartbeatingActivity } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '2s',
  cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export async function greet(name: string): Promise<string> {
  return `hello ${name}`;
}

export async function greetViaActivity(name: string): Promise<string> {
  return await greetActivity(name);
}

export async function sleeper(ms: number): Promise<string> {
  const started = Date.now();
  await wf.sleep(ms);
  return `slept ${Date.now() - started >= ms ? 'enough' : 'too little'}`;
}

export async function flaky(key: string): Promise<string> {
  return await flakyActivity(key, 3);
}

export async function alwaysFails(): Promise<string> {
  return await alwaysFailsActivity();
}

export async function timesOut(): Promise<string> {
  return await slowActivity(3000);
}

export async function failing(message: string): Promise<string> {
  throw wf.ApplicationFailure.nonRetryable(message, 'TestFailure');
}

export const addSignal = wf.defineSignal<[number]>('add');
export const doneSignal = wf.defineSignal('done');
export const totalQuery = wf.defineQuery<number>('total');

export async function accumulator(): Promise<number> {
  let total = 0;
  let done = false;
  wf.setHandler(addSignal, (n) => void (total += n));
  wf.setHandler(doneSignal, () => void (done = true));
  wf.setHandler(totalQuery, () => total);
  await wf.condition(() => done);
  return total;
}

export async function waitsForever(): Promise<void> {
  await wf.sleep('1 day');
}

export async function cancellableActivity(): Promise<string> {
  try {
    await heartbeatingActivity();
    return 'activity finished';
  } catch (err) {
    if (wf.isCancellation(err)) return 'activity cancelled';
    throw err;
  }
}

export const cancelActivitySignal = wf.defineSignal('cancelActivity');

export async function cancelActivityOnSignal(): Promise<string> {
  let result = '';
  const scope = new wf.CancellationScope();
  const p = scope
    .run(() => heartbeatingActivity())
    .then(
      () => (result = 'activity finished'),
      (err) => (result = wf.isCancellation(err) ? 'activity cancelled' : `error ${String(err)}`),
    );
  wf.setHandler(cancelActivitySignal, () => scope.cancel());
  await p;
  return result;
}

export const fixSignal = wf.defineSignal('fix');

/** Fails every workflow task (a plain Error) until the `fix` signal is in its history. */
export async function failsUntilFixed(): Promise<string> {
  let fixed = false;
  wf.setHandler(fixSignal, () => void (fixed = true));
  await Promise.resolve();
  if (!fixed) throw new Error('bug: not fixed yet');
  return 'fixed';
}

const { slowActivity: slowLocal, greetActivity: greetLocal } = wf.proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30s' });

export const stageQuery = wf.defineQuery<string>('stage');

/** Answers `stage` queries while a long local activity runs (queries arrive inside workflow tasks). */
export async function queryDuringLocalActivity(ms: number): Promise<string> {
  let stage = 'started';
  wf.setHandler(stageQuery, () => stage);
  stage = 'in local activity';
  await slowLocal(ms);
  stage = 'done';
  return stage;
}

/** Patch markers and local-activity markers mixed with a timer and an activity (replayed from full history without a cache). */
export async function markers(): Promise<string> {
  const parts: string[] = [];
  if (wf.patched('my-patch')) parts.push('patched');
  parts.push(await greetLocal('la1'));
  await wf.sleep(50);
  parts.push(await greetActivity('act'));
  if (wf.patched('my-patch')) parts.push('still patched');
  wf.deprecatePatch('old-patch');
  parts.push(await greetLocal('la2'));
  return parts.join(' | ');
}

const { resumesFromHeartbeat } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '50ms', maximumAttempts: 3 },
});

export async function heartbeatResume(): Promise<string> {
  return await resumesFromHeartbeat();
}

const { stopsHeartbeating } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  heartbeatTimeout: '1s',
  retry: { maximumAttempts: 1 },
});

export async function heartbeatTimeout(): Promise<string> {
  try {
    return await stopsHeartbeating(1500);
  } catch (err) {
    if (err instanceof wf.ActivityFailure && err.cause instanceof wf.TimeoutFailure) {
      return `${err.cause.timeoutType}: ${String(err.cause.lastHeartbeatDetails)}`;
    }
    throw err;
  }
}

const { failsOnceThenBlocks } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '1s',
  retry: { initialInterval: '100ms', maximumAttempts: 5 },
});

export async function pendingActivity(): Promise<string> {
  return await failsOnceThenBlocks();
}

const { bigResult, bigHeartbeat } = wf.proxyActivities<typeof activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

export async function bigActivityHeartbeat(bytes: number): Promise<string> {
  return await bigHeartbeat(bytes);
}

export async function bigActivityResult(bytes: number): Promise<string> {
  return (await bigResult(bytes)).length.toString();
}

export async function bigWorkflowResult(bytes: number): Promise<string> {
  return 'y'.repeat(bytes);
}

export async function manyTimers(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await wf.sleep(5);
  return n;
}

export async function echoInput(s: string): Promise<number> {
  return s.length;
}

// updates, children, continue-as-new, retries, cron (the API issue's tests)
export * from './api-workflows';
export * from './operations-workflows';
