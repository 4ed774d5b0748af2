import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export * from '../../engine/workflows/activities';

export async function failsSlowlyActivity(): Promise<string> {
  heartbeat('working');
  throw ApplicationFailure.retryable(`attempt ${activityInfo().attempt} failed: database unreachable`, 'Unreachable');
}
