/**
 * The matching service's implementation (interface in index.ts): this process's task queues with
 * long polls. History adds workflow/activity tasks (from its transfer queue) and legacy query tasks;
 * pollers take them and matching asks history to record the start. A task whose start history
 * refuses (stale: already started, workflow closed) is dropped.
 *
 * Stopping: waiting polls answer empty, calls from then on are refused as "not owned by this host"
 * (a cluster's other members retry them at the queue's next owner, workers poll again), and `stop`
 * resolves once the calls in flight settled (at most STOP_DRAIN_MS), before the server closes its stores.
 */
import { ConditionFailedError, NotFoundError, UnavailableError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ActivityTaskRef, PollActivityTaskQueueResponse, PollWorkflowTaskQueueResponse, WorkflowTaskRef } from '../history';
import type { TaskStore } from '../persistence';
import { Deferred } from '../common/async';
import { PollerHistory, type PollerSeen } from './pollers';
import { StickyTaskQueue } from './sticky-queue';
import { PhysicalTaskQueue, type PollableQueue, type QueueItem } from './task-queue';

/** What matching needs from history (a port: the server binds it to the history service). */
export interface HistoryClient {
  recordWorkflowTaskStarted(task: WorkflowTaskRef, identity: string, sticky?: boolean): Promise<PollWorkflowTaskQueueResponse>;
  recordActivityTaskStarted(task: ActivityTaskRef, identity: string): Promise<PollActivityTaskQueueResponse>;
  buildQueryTask(queryId: string): Promise<PollWorkflowTaskQueueResponse | undefined>;
}

export interface MatchingServiceDeps {
  tasks: TaskStore;
  /** how long a poll waits for a task before it answers empty */
  longPollTimeoutMs: number;
  history: HistoryClient;
  log: Logger;
}

const WORKFLOW = 1;
const ACTIVITY = 2;
/** DescribeTaskQueue counts the durable backlog up to this many tasks (a hint, as Temporal's backlogCountHint). */
const BACKLOG_COUNT_LIMIT = 10_000;
/** How long `stop` waits for calls in flight (a poll recording its task started, an add persisting). */
const STOP_DRAIN_MS = 2000;

/** What DescribeTaskQueue reports of one queue and task type. */
export interface TaskQueueDescription {
  pollers: PollerSeen[];
  /** tasks in the durable backlog (at most BACKLOG_COUNT_LIMIT counted) */
  backlogCount: number;
}

export class TaskQueueManager {
  private readonly queues = new Map<string, PhysicalTaskQueue<unknown>>();
  private readonly stickyQueues = new Map<string, StickyTaskQueue<WorkflowTaskRef>>();
  private readonly store: TaskStore;
  private readonly longPollTimeoutMs: number;
  private readonly history: HistoryClient;
  private readonly log: Logger;
  private stopped = false;
  private readonly pollerHistory = new PollerHistory();
  /** the calls running now (stop waits for them) */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(deps: MatchingServiceDeps) {
    this.store = deps.tasks;
    this.longPollTimeoutMs = deps.longPollTimeoutMs;
    this.history = deps.history;
    this.log = deps.log;
  }

  /**
   * Unloads the queues `keep` says no (a cluster member's queues moved to another member); a later
   * call on one loads it again under a new lease with the backlog from the database.
   */
  releaseQueues(keep: (namespaceId: string, name: string) => boolean): number {
    let n = 0;
    for (const [k, q] of this.queues) {
      if (keep(q.key.namespaceId, q.key.name)) continue;
      this.queues.delete(k);
      q.unload(new UnavailableError(`task queue ${q.key.name} moved to another member: not owned by this host`));
      n++;
    }
    return n;
  }

  /** A write the queue's lease no longer covers (another member leased it): drop the object so the next call reloads it. */
  private async unloadOnFailure<R>(namespaceId: string, name: string, taskType: number, p: Promise<R>): Promise<R> {
    try {
      return await p;
    } catch (err) {
      const k = `${namespaceId}/${taskType}/${name}`;
      const q = this.queues.get(k);
      if (q && err instanceof ConditionFailedError) {
        this.queues.delete(k);
        q.unload(new UnavailableError(`task queue ${name} was leased by another member`));
      }
      throw err;
    }
  }

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

  /** Runs a call unless matching stopped; `stop` waits for it. */
  private tracked<R>(taskQueue: string, call: () => Promise<R>): Promise<R> {
    if (this.stopped) return Promise.reject(new UnavailableError(`task queue ${taskQueue} is not owned by this host: its matching service is stopping`));
    const p = call();
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Offered to the sticky queue's waiting poller when there is one, else the normal queue. */
  addWorkflowTask(namespaceId: string, taskQueue: string, task: WorkflowTaskRef, stickyTaskQueue?: string): Promise<void> {
    return this.tracked(taskQueue, () => this.addWorkflowTaskNow(namespaceId, taskQueue, task, stickyTaskQueue));
  }

  private async addWorkflowTaskNow(namespaceId: string, taskQueue: string, task: WorkflowTaskRef, stickyTaskQueue?: string): Promise<void> {
    if (stickyTaskQueue) {
      const sticky = this.stickyQueues.get(`${namespaceId}/${stickyTaskQueue}`);
      if (sticky && sticky.waiting > 0) {
        const done = new Deferred<void>();
        if (sticky.offer({ kind: 'task', ref: task, taskId: undefined, done })) return done.promise;
      }
    }
    await this.unloadOnFailure(namespaceId, taskQueue, WORKFLOW, this.queue<WorkflowTaskRef>(namespaceId, taskQueue, WORKFLOW).add(task));
  }

  private stickyQueue(namespaceId: string, name: string, normalQueue: string): StickyTaskQueue<WorkflowTaskRef> {
    const k = `${namespaceId}/${name}`;
    let q = this.stickyQueues.get(k);
    if (!q) {
      q = new StickyTaskQueue<WorkflowTaskRef>((item) => this.queue<WorkflowTaskRef>(namespaceId, normalQueue, WORKFLOW).addItem(item));
      this.stickyQueues.set(k, q);
      this.forgetIdleStickyQueues();
    }
    return q;
  }

  /** Sticky queues live as long as their worker polls them. */
  private forgetIdleStickyQueues(): void {
    const idleBefore = Date.now() - 2 * this.longPollTimeoutMs - 60_000;
    for (const [k, q] of this.stickyQueues) if (q.waiting === 0 && q.lastPollMs < idleBefore) this.stickyQueues.delete(k);
  }

  addActivityTask(namespaceId: string, taskQueue: string, task: ActivityTaskRef): Promise<void> {
    return this.tracked(taskQueue, () =>
      this.unloadOnFailure(namespaceId, taskQueue, ACTIVITY, this.queue<ActivityTaskRef>(namespaceId, taskQueue, ACTIVITY).add(task)),
    );
  }

  addQueryTask(namespaceId: string, taskQueue: string, queryId: string): void {
    if (this.stopped) return; // the query's caller times out and retries
    this.queue<WorkflowTaskRef>(namespaceId, taskQueue, WORKFLOW).addQuery(queryId);
  }

  pollWorkflowTask(namespaceId: string, taskQueue: string, identity: string, signal?: AbortSignal): Promise<PollWorkflowTaskQueueResponse> {
    return this.tracked(taskQueue, () => {
      const q = this.queue<WorkflowTaskRef>(namespaceId, taskQueue, WORKFLOW);
      this.pollerHistory.record(namespaceId, WORKFLOW, taskQueue, identity);
      return this.pollLoop(q, signal, async (item) => {
        if (item.kind === 'query') return this.history.buildQueryTask(item.queryId);
        return this.history.recordWorkflowTaskStarted(item.ref, identity);
      });
    });
  }

  pollActivityTask(namespaceId: string, taskQueue: string, identity: string, signal?: AbortSignal): Promise<PollActivityTaskQueueResponse> {
    return this.tracked(taskQueue, () => {
      const q = this.queue<ActivityTaskRef>(namespaceId, taskQueue, ACTIVITY);
      this.pollerHistory.record(namespaceId, ACTIVITY, taskQueue, identity);
      return this.pollLoop(q, signal, async (item) => (item.kind === 'task' ? this.history.recordActivityTaskStarted(item.ref, identity) : undefined));
    });
  }

  /** A worker's sticky queue (`normalQueue`: the queue it came from, for tasks it cannot take). */
  pollStickyQueue(
    namespaceId: string,
    stickyQueue: string,
    normalQueue: string,
    identity: string,
    signal?: AbortSignal,
  ): Promise<PollWorkflowTaskQueueResponse> {
    return this.tracked(stickyQueue, () => {
      const q = this.stickyQueue(namespaceId, stickyQueue, normalQueue || stickyQueue);
      return this.pollLoop(q, signal, async (item) => (item.kind === 'task' ? this.history.recordWorkflowTaskStarted(item.ref, identity, true) : undefined));
    });
  }

  private async pollLoop<T, R extends object>(
    q: PollableQueue<T>,
    signal: AbortSignal | undefined,
    start: (item: QueueItem<T>) => Promise<R | undefined>,
  ): Promise<R | Record<string, never>> {
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
        await q.fail(item);
        throw err;
      }
      await q.ack(item);
      if (resp) return resp;
    }
    return {};
  }

  /**
   * DescribeTaskQueue: the pollers this process served lately, and the durable backlog read from the
   * store (read only: describing a queue never takes its lease from the process that serves it).
   * `taskType`: enums.v1.TaskQueueType (1 workflow, 2 activity).
   */
  describeTaskQueue(namespaceId: string, taskQueue: string, taskType: number): Promise<TaskQueueDescription> {
    return this.tracked(taskQueue, () => this.describeNow(namespaceId, taskQueue, taskType));
  }

  private async describeNow(namespaceId: string, taskQueue: string, taskType: number): Promise<TaskQueueDescription> {
    let backlogCount = 0;
    for (let after = 0; backlogCount < BACKLOG_COUNT_LIMIT;) {
      const rows = await this.store.getTasks({ namespaceId, name: taskQueue, taskType }, after, 1000);
      if (rows.length === 0) break;
      backlogCount += rows.length;
      after = rows[rows.length - 1]!.taskId;
    }
    return { pollers: this.pollerHistory.list(namespaceId, taskType, taskQueue), backlogCount: Math.min(backlogCount, BACKLOG_COUNT_LIMIT) };
  }

  /** Waiting polls answer empty, new calls are refused; resolves once the calls in flight settled (bounded). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.queues.values()) q.releasePollers();
    for (const q of this.stickyQueues.values()) q.releasePollers();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise<void>((r) => (timer = setTimeout(r, STOP_DRAIN_MS)))]);
    clearTimeout(timer);
  }
}
