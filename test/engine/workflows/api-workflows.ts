/** Workflows of the API tests: updates, child workflows, external signals/cancels, continue-as-new, retries, cron. */
import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';

// ---------------------------------------------------------------- updates
export const incUpdate = wf.defineUpdate<number, [number]>('inc');
/** an update whose handler waits for a timer: it completes in a later workflow task than its acceptance */
export const slowIncUpdate = wf.defineUpdate<number, [number]>('slowInc');
export const finishSignal = wf.defineSignal('finish');
export const handledQuery = wf.defineQuery<number>('handled');

export async function updatable(): Promise<number> {
  let count = 0;
  let handled = 0;
  let finished = false;
  const validator = (n: number): void => {
    if (n < 0) throw new Error(`negative increments are rejected: ${n}`);
  };
  wf.setHandler(
    incUpdate,
    (n) => {
      handled++;
      if (n === 13) throw wf.ApplicationFailure.nonRetryable('unlucky', 'Unlucky');
      count += n;
      return count;
    },
    { validator },
  );
  wf.setHandler(
    slowIncUpdate,
    async (n) => {
      handled++;
      await wf.sleep(300);
      count += n;
      return count;
    },
    { validator },
  );
  wf.setHandler(handledQuery, () => handled);
  wf.setHandler(finishSignal, () => void (finished = true));
  await wf.condition(() => finished && wf.allHandlersFinished());
  return count;
}

// ---------------------------------------------------------------- children
export async function childGreeter(name: string): Promise<string> {
  return `child says hi to ${name}`;
}

export async function childFails(): Promise<string> {
  throw wf.ApplicationFailure.nonRetryable('child boom', 'ChildBoom');
}

export async function childWaiter(): Promise<void> {
  await wf.sleep('1 day');
}

const childId = (suffix: string): string => `${wf.workflowInfo().workflowId}-${suffix}`;

export async function parentOfChild(name: string): Promise<string> {
  return await wf.executeChild(childGreeter, { args: [name], workflowId: childId('child') });
}

export async function parentOfFailingChild(): Promise<string> {
  try {
    await wf.executeChild(childFails, { workflowId: childId('child') });
    return 'no error';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && err.cause instanceof wf.ApplicationFailure) return `child failed: ${err.cause.message}`;
    throw err;
  }
}

export async function parentCancelsChild(): Promise<string> {
  const scope = new wf.CancellationScope();
  const handle = await scope.run(() => wf.startChild(childWaiter, { workflowId: childId('child') }));
  scope.cancel();
  try {
    await handle.result();
    return 'child finished';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && err.cause instanceof wf.CancelledFailure) return 'child cancelled';
    return `other error: ${String(err)}`;
  }
}

export const addToChild = wf.defineSignal<[number]>('add');
export const doneToChild = wf.defineSignal('done');

export async function parentSignalsChild(): Promise<number> {
  const h = await wf.startChild('accumulator', { workflowId: childId('child') });
  await h.signal(addToChild, 4);
  await h.signal(addToChild, 6);
  await h.signal(doneToChild);
  return (await h.result()) as number;
}

export async function parentWithPolicy(policy: 'TERMINATE' | 'REQUEST_CANCEL' | 'ABANDON', id: string): Promise<string> {
  await wf.startChild(childWaiter, { workflowId: id, parentClosePolicy: wf.ParentClosePolicy[policy] });
  return 'parent done';
}

export async function parentOfDuplicateChild(existingId: string): Promise<string> {
  try {
    await wf.startChild(childWaiter, { workflowId: existingId });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already started';
    return `other error: ${String(err)}`;
  }
}

/** A child that continues as new twice: the parent gets the last run's result. */
export async function childContinues(n: number): Promise<string> {
  if (n > 0) await wf.continueAsNew<typeof childContinues>(n - 1);
  return `child chain done on run ${wf.workflowInfo().runId === wf.workflowInfo().firstExecutionRunId ? 'first' : 'later'}`;
}

export async function parentOfContinuingChild(): Promise<string> {
  return await wf.executeChild(childContinues, { args: [2], workflowId: childId('child') });
}

// ---------------------------------------------------------------- external signal / cancel
export async function signalsExternal(targetId: string): Promise<string> {
  const h = wf.getExternalWorkflowHandle(targetId);
  await h.signal(addToChild, 3);
  await h.signal(doneToChild);
  return 'signalled';
}

export async function signalsMissing(targetId: string): Promise<string> {
  try {
    await wf.getExternalWorkflowHandle(targetId).signal(addToChild, 1);
    return 'no error';
  } catch (err) {
    return `failed: ${(err as Error).name}`;
  }
}

export async function cancelsExternal(targetId: string): Promise<string> {
  try {
    await wf.getExternalWorkflowHandle(targetId).cancel();
    return 'cancel requested';
  } catch (err) {
    return `failed: ${(err as Error).name}`;
  }
}

// ---------------------------------------------------------------- continue-as-new, retries, cron
export async function countdown(n: number, acc: number): Promise<string> {
  if (n > 0) await wf.continueAsNew<typeof countdown>(n - 1, acc + n);
  return `done ${acc} on attempt ${wf.workflowInfo().attempt}`;
}

export async function failsUntilAttempt(k: number): Promise<string> {
  const { attempt } = wf.workflowInfo();
  if (attempt < k) throw wf.ApplicationFailure.retryable(`attempt ${attempt} failed`, 'NotYet');
  return `succeeded on attempt ${attempt}`;
}

export async function cronTick(): Promise<number> {
  const last = wf.workflowInfo().lastResult as number | undefined;
  return (last ?? 0) + 1;
}

/** Each run sleeps, then continues as new: a chain that outlives a short execution timeout. */
export async function sleepyChain(n: number): Promise<string> {
  await wf.sleep(600);
  if (n > 0) await wf.continueAsNew<typeof sleepyChain>(n - 1);
  return 'chain finished';
}

/** Waits for a child that is terminated from outside, or times out ('timeout': a 500 ms run timeout). */
export async function parentOfDoomedChild(mode: 'terminate' | 'timeout'): Promise<string> {
  try {
    await wf.executeChild(childWaiter, { workflowId: childId('child'), workflowRunTimeout: mode === 'timeout' ? '500ms' : undefined });
    return 'child finished';
  } catch (err) {
    if (!(err instanceof wf.ChildWorkflowFailure)) return `other error: ${String(err)}`;
    if (err.cause instanceof wf.TerminatedFailure) return 'child terminated';
    if (err.cause instanceof wf.TimeoutFailure) return 'child timed out';
    return `child failed: ${String(err.cause)}`;
  }
}

/** Upserts a search attribute no namespace defines: the server fails its first workflow task, and every retry alike. */
export async function upsertsUnknownAttribute(): Promise<string> {
  wf.upsertSearchAttributes({ NoSuchAttributeAnywhere: ['x'] });
  await wf.sleep(10);
  return 'unreachable';
}

/** Schedules an activity on `queue` (which nobody polls) with the given timeouts; returns the timeout type it failed with. */
export async function activityOnIdleQueue(queue: string, scheduleToStartMs: number, scheduleToCloseMs: number): Promise<string> {
  const { greetActivity } = wf.proxyActivities<{ greetActivity(name: string): Promise<string> }>({
    taskQueue: queue,
    scheduleToCloseTimeout: scheduleToCloseMs,
    ...(scheduleToStartMs > 0 ? { scheduleToStartTimeout: scheduleToStartMs } : {}),
    retry: { maximumAttempts: 1 },
  });
  try {
    await greetActivity('nobody');
    return 'completed';
  } catch (err) {
    if (err instanceof wf.ActivityFailure && err.cause instanceof wf.TimeoutFailure) return String(err.cause.timeoutType);
    throw err;
  }
}
