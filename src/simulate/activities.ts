/**
 * Activities of the simulation load. Deterministic in their results (so every workflow's result can
 * be checked) but not in how they get there: some fail their first attempt, so the server's retry
 * policy is exercised on every run.
 */
import { Context } from '@temporalio/activity';

export async function simCompute(x: number): Promise<number> {
  if (x % 7 === 0 && Context.current().info.attempt === 1) {
    throw new Error(`simulated transient failure for ${x} (first attempt)`);
  }
  return (x * x) % 1009;
}
