/** What history needs from matching: a port history is built with (the matching service implements it). */
import type { temporal } from '../common/proto';
import type { ExecutionKey } from '../persistence';

export interface QueryDispatch {
  namespaceId: string;
  taskQueue: string;
  /** builds the poll response once a poller takes the query */
  queryId: string;
}

export interface MatchingClient {
  /**
   * Resolves once the task no longer needs its transfer task (started, stale, or in the durable
   * backlog). `stickyTaskQueue`: offer it to that sticky queue first if a poller waits there.
   */
  addWorkflowTask(namespaceId: string, taskQueue: string, task: WorkflowTaskRef, stickyTaskQueue?: string): Promise<void>;
  addActivityTask(namespaceId: string, taskQueue: string, task: ActivityTaskRef): Promise<void>;
  /** A legacy query task: in memory only, handed to the next workflow poller of the queue. */
  addQueryTask(namespaceId: string, taskQueue: string, queryId: string): void;
}

export interface WorkflowTaskRef extends ExecutionKey {
  scheduledEventId: number;
}

export interface ActivityTaskRef extends WorkflowTaskRef {
  attempt: number;
}

export type PollWorkflowTaskQueueResponse = temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;
export type PollActivityTaskQueueResponse = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;
