/**
 * Matching: task queues with long polls. History adds workflow/activity tasks (from its transfer
 * queue) and legacy query tasks; pollers take them and matching asks history to record the start.
 * A task whose start history refuses (stale: already started, workflow closed) is dropped.
 */
import { NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ActivityTaskRef, MatchingClient, PollActivityTaskQueueResponse, PollWorkflowTaskQueueResponse, WorkflowTaskRef } from '../history/matching-client';
import type { TaskStore } from '../persistence/engine';
import { PhysicalTaskQueue, type QueueItem } from './task-queue';

/** What matching needs from history. */
export interface HistoryClient {
  recordWorkflowTaskStarted(task: WorkflowTaskRef, identity: string): Promise<PollWorkflowTaskQueueResponse>;
  recordActivityTaskStarted(task: ActivityTaskRef, identity: string): Promise<PollActivityTaskQueueResponse>;
  buildQueryTask(queryId: string): Promise<PollWorkflowTaskQueueResponse | undefined>;
}

const WORKFLOW = 1;
const ACTIVITY = 2;

export class MatchingEngine implements MatchingClient {
  private readonly queues = new Map<string, PhysicalTaskQueue<unknown>>();
  history!: HistoryClient;
  private stopped = false;

  constructor(private readonly store: TaskStore, private readonly longPollTimeoutMs: number, private readonly log: Logger) {}

  private queue<T>(namespaceId: string, name: string, taskType: number): PhysicalTaskQueue<T> {
    const k = `${namespaceId}/${taskType}/${name}`;
    let q = this.queues.get(k);
    if (!q) {
      q = new PhysicalTaskQueue<unknown>({ namespaceId, name, taskType }, this.store);
      q.ready.catch((err: unknown) => {
        this.log.error({ err, taskQueue: name }, 'task queue failed to load');
        this.queues.delete(k);
      });
      this.queues.set(k, q);
    }
    return q as PhysicalTaskQueue<T>;
  }

  async addWorkflowTask(namespaceId: string, taskQueue: string, task: WorkflowTaskRef): Promise<void> {
    await this.queue<WorkflowTaskRef>(namespaceId, taskQueue, WORKFLOW).add(task);
  }

  async addActivityTask(namespaceId: string, taskQueue: string, task: ActivityTaskRef): Promise<void> {
    await this.queue<ActivityTaskRef>(namespaceId, taskQueue, ACTIVITY).add(task);
  }

  addQueryTask(namespaceId: string, taskQueue: string, queryId: string): void {
    this.queue<WorkflowTaskRef>(namespaceId, taskQueue, WORKFLOW).addQuery(queryId);
  }

  async pollWorkflowTask(namespaceId: string, taskQueue: string, identity: string, signal?: AbortSignal): Promise<PollWorkflowTaskQueueResponse> {
    const q = this.queue<WorkflowTaskRef>(namespaceId, taskQueue, WORKFLOW);
    return this.pollLoop(q, signal, async (item) => {
      if (item.kind === 'query') return this.history.buildQueryTask(item.queryId);
      return this.history.recordWorkflowTaskStarted(item.ref, identity);
    });
  }

  async pollActivityTask(namespaceId: string, taskQueue: string, identity: string, signal?: AbortSignal): Promise<PollActivityTaskQueueResponse> {
    const q = this.queue<ActivityTaskRef>(namespaceId, taskQueue, ACTIVITY);
    return this.pollLoop(q, signal, async (item) => (item.kind === 'task' ? this.history.recordActivityTaskStarted(item.ref, identity) : undefined));
  }

  /** Sticky queues are not implemented: wait out the long poll and answer "no task". */
  async pollStickyQueue(signal?: AbortSignal): Promise<PollWorkflowTaskQueueResponse> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.longPollTimeoutMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return {};
  }

  private async pollLoop<T, R extends object>(q: PhysicalTaskQueue<T>, signal: AbortSignal | undefined, start: (item: QueueItem<T>) => Promise<R | undefined>): Promise<R | Record<string, never>> {
    const deadline = Date.now() + this.longPollTimeoutMs;
    while (!this.stopped && !signal?.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const item = await q.take(left, signal);
      if (!item) break;
      let resp: R | undefined;
      try {
        resp = await start(item);
      } catch (err) {
        if (err instanceof NotFoundError) {
          await q.ack(item); // stale task: drop it
          continue;
        }
        if (item.kind === 'task' && item.taskId === undefined) await q.persist(item.ref);
        else q.requeue(item);
        throw err;
      }
      await q.ack(item);
      if (resp) return resp;
    }
    return {};
  }

  stop(): void {
    this.stopped = true;
    for (const q of this.queues.values()) q.releasePollers();
  }
}
