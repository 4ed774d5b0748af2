/** Activity responses bound to an engine (kept apart to keep history/index.ts short). */
import type { IFailure, temporal } from '../common/proto';
import type { HistoryEngine } from './engine';
import { recordActivityTaskHeartbeat, respondActivityTaskCanceled, respondActivityTaskCompleted, respondActivityTaskFailed } from './api/activity-task';
import type { ActivityTaskToken } from './api/task-token';

type P = temporal.api.common.v1.IPayloads | null | undefined;

export const heartbeatFn = (e: () => HistoryEngine) => (t: ActivityTaskToken, details: P) => recordActivityTaskHeartbeat(e(), t, details);
export const activityCompleted = (e: () => HistoryEngine) => (t: ActivityTaskToken, result: P, identity: string) =>
  respondActivityTaskCompleted(e(), t, result, identity);
export const activityFailedFn = (e: () => HistoryEngine) => (t: ActivityTaskToken, f: IFailure | null | undefined, details: P, identity: string) =>
  respondActivityTaskFailed(e(), t, f, details, identity);
export const activityCanceled = (e: () => HistoryEngine) => (t: ActivityTaskToken, details: P, identity: string) =>
  respondActivityTaskCanceled(e(), t, details, identity);
