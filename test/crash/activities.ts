/**
 * Activities of the crash-load test. They run in the test process and record every execution
 * (workflow id, activity id, attempt, start/end time, outcome) so the test can check that each
 * activity ran at least once and that any duplicate lines up with a crash.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';

export interface ActivityRun {
  workflowId: string;
  activityId: string;
  attempt: number;
  startMs: number;
  endMs: number;
  ok: boolean;
}

/** The deterministic function behind crashMix (also used by the test to compute expected results). */
export function mix(x: number, salt: number): number {
  return (x * 31 + salt * 7919 + 17) % 1_000_003;
}

export function createCrashActivities(runs: ActivityRun[]) {
  const record = <T>(fn: () => T): T => {
    const info = Context.current().info;
    const run: ActivityRun = {
      workflowId: info.workflowExecution?.workflowId ?? '',
      activityId: info.activityId,
      attempt: info.attempt,
      startMs: Date.now(),
      endMs: 0,
      ok: false,
    };
    runs.push(run);
    try {
      const out = fn();
      run.ok = true;
      return out;
    } finally {
      run.endMs = Date.now();
    }
  };
  return {
    async crashMix(x: number, salt: number): Promise<number> {
      // a little real work time so some activities are in flight when the server dies
      await new Promise((r) => setTimeout(r, 5 + (x % 20)));
      return record(() => mix(x, salt));
    },
    async crashFlaky(key: string, failures: number, x: number): Promise<number> {
      await new Promise((r) => setTimeout(r, 5));
      return record(() => {
        const attempt = Context.current().info.attempt;
        if (attempt <= failures) throw ApplicationFailure.retryable(`planned failure ${attempt}/${failures} of ${key}`, 'Planned');
        return mix(x, 100 + failures);
      });
    },
  };
}
