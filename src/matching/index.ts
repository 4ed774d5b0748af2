/**
 * The matching service: task queues with long polls, sync match and a durable backlog. History
 * adds tasks through the MatchingClient part (its transfer queue, query dispatch); the frontend
 * polls. Matching calls history back through a HistoryClient it is given (to record a task started).
 */
import type { MatchingClient, PollActivityTaskQueueResponse, PollWorkflowTaskQueueResponse } from '../history';
import { TaskQueueManager, type MatchingServiceDeps, type TaskQueueDescription } from './task-queue-manager';

export type { HistoryClient, MatchingServiceDeps, TaskQueueDescription } from './task-queue-manager';
export type { PollerSeen } from './pollers';

export interface MatchingService extends MatchingClient {
  /** The next workflow task (or legacy query) of a normal queue; an empty response after the long poll. */
  pollWorkflowTask(namespaceId: string, taskQueue: string, identity: string, signal?: AbortSignal): Promise<PollWorkflowTaskQueueResponse>;
  pollActivityTask(namespaceId: string, taskQueue: string, identity: string, signal?: AbortSignal): Promise<PollActivityTaskQueueResponse>;
  /** A worker's sticky queue (`normalQueue`: the queue it came from, for tasks it cannot take). */
  pollStickyQueue(
    namespaceId: string,
    stickyQueue: string,
    normalQueue: string,
    identity: string,
    signal?: AbortSignal,
  ): Promise<PollWorkflowTaskQueueResponse>;
  /** DescribeTaskQueue: recent pollers (this process's) and the durable backlog of one queue and type (1 workflow, 2 activity). */
  describeTaskQueue(namespaceId: string, taskQueue: string, taskType: number): Promise<TaskQueueDescription>;
  /** Unloads the task queues `keep` rejects (their ownership moved to another cluster member); returns how many. */
  releaseQueues(keep: (namespaceId: string, name: string) => boolean): number;
  /** Answers every waiting poll empty and accepts no more; resolves once the calls in flight settled (bounded). */
  stop(): Promise<void>;
}

export function createMatchingService(deps: MatchingServiceDeps): MatchingService {
  return new TaskQueueManager(deps);
}
