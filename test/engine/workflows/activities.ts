/** Activities used by the engine tests (run by the worker directly, not bundled). */
import { activityInfo, heartbeat, sleep, CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export async function greetActivity(name: string): Promise<string> {
  return `hello ${name} from activity`;
}

export async function flakyActivity(_key: string, succeedOnAttempt: number): Promise<string> {
  const { attempt } = activityInfo();
  if (attempt < succeedOnAttempt) throw ApplicationFailure.retryable(`attempt ${attempt} failed`, 'Flaky');
  return `succeeded on attempt ${attempt}`;
}

export async function alwaysFailsActivity(): Promise<string> {
  throw ApplicationFailure.retryable(`attempt ${activityInfo().attempt} failed`, 'AlwaysFails');
}

export async function slowActivity(ms: number): Promise<string> {
  await sleep(ms);
  return 'slow done';
}

export async function heartbeatingActivity(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    heartbeat(i);
    try {
      await Context.current().sleep(200);
    } catch (err) {
      if (err instanceof CancelledFailure) throw err;
      throw err;
    }
  }
  return 'done';
}

/**
 * Attempt 1 heartbeats 1, 2, 3 in quick succession (the worker throttles: only the first reaches the
 * server as a heartbeat, the last travels with the failure as last_heartbeat_details) and fails.
 * Later attempts report where they resumed from.
 */
export async function resumesFromHeartbeat(): Promise<string> {
  const info = activityInfo();
  if (info.attempt === 1) {
    heartbeat(1);
    heartbeat(2);
    heartbeat(3);
    throw ApplicationFailure.retryable('attempt 1 failed after heartbeating', 'Resumable');
  }
  return `attempt ${info.attempt} resumed from ${String(info.heartbeatDetails)}`;
}

/** Heartbeats once, then goes silent for longer than its heartbeat timeout. */
export async function stopsHeartbeating(ms: number): Promise<string> {
  heartbeat('last words');
  await new Promise((r) => setTimeout(r, ms));
  return 'should have timed out';
}

/** Attempt 1 heartbeats and fails; attempt 2 heartbeats 'a2' and keeps going until cancelled (or 15 s). */
export async function failsOnceThenBlocks(): Promise<string> {
  const info = activityInfo();
  if (info.attempt === 1) {
    heartbeat('a1');
    throw ApplicationFailure.retryable('first attempt failed', 'FailsOnce');
  }
  for (let i = 0; i < 75; i++) {
    heartbeat(`a${info.attempt}`);
    await Context.current().sleep(200);
  }
  return 'blocked long enough';
}

export async function bigResult(bytes: number): Promise<string> {
  return 'x'.repeat(bytes);
}

/** Heartbeats details over the blob size limit, then waits to be cancelled (or 5 s). */
export async function bigHeartbeat(bytes: number): Promise<string> {
  heartbeat('h'.repeat(bytes));
  await Context.current().sleep(5000);
  return 'not stopped';
}
