/** Workflows for the Web UI tests: the engine tests' workflows plus one whose activity keeps failing slowly. */
import * as wf from '@temporalio/workflow';
import type * as activities from './activities';

export * from '../../engine/workflows';

const { failsSlowlyActivity } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 1, maximumAttempts: 50 },
});

/** Stays running with a pending activity on attempt >= 2 and a last failure. */
export async function retriesSlowly(): Promise<string> {
  return await failsSlowlyActivity();
}

/** A parent with a pending child (the child sleeps a day), for the workflow page's children section. */
export async function parentWithPendingChild(): Promise<void> {
  await wf.executeChild('childWaiter', { workflowId: `${wf.workflowInfo().workflowId}-child` });
}
