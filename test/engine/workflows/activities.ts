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
