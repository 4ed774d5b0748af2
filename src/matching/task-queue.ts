/**
 * One physical task queue (namespace, name, type): waiting pollers, a durable backlog mirrored in
 * memory, and in-memory query tasks. Sync match hands a task straight to a waiting poller; otherwise
 * it is written to the `tasks` table (under this process's range_id lease) before it is queued.
 *
 * `add` resolves only once the task no longer needs its transfer task: a sync-matched task when the
 * poller has recorded it started (or found it stale), else when it is in the durable backlog. Until
 * then history keeps the transfer task row, so a crash in between re-dispatches it.
 */
import { Deferred } from '../common/async';
import { FORMAT, jsonBlob, readJsonBlob, type TaskQueueKey, type TaskStore } from '../persistence';

export const TASK_ID_BLOCK = 1 << 20;

export type QueueItem<T> =
  | {
      kind: 'task';
      ref: T;
      taskId: number | undefined /* undefined: sync-matched, never persisted */;
      /** sync-matched: resolved when the task is started, dropped as stale, or persisted */
      done?: Deferred<void>;
    }
  | { kind: 'query'; queryId: string };

/** What a poll loop needs of a queue (a physical task queue or a sticky queue). */
export interface PollableQueue<T> {
  take(timeoutMs: number, signal: AbortSignal | undefined): Promise<QueueItem<T> | undefined>;
  ack(item: QueueItem<T>): Promise<void>;
  /** A poller could not start the item (not because it is stale): keep it, durably if sync-matched. */
  fail(item: QueueItem<T>): Promise<void>;
}

interface Poller<T> {
  deferred: Deferred<QueueItem<T> | undefined>;
}

export class PhysicalTaskQueue<T> implements PollableQueue<T> {
  private rangeId = 0;
  private seq = 0;
  private readonly backlog: QueueItem<T>[] = [];
  private readonly pollers: Poller<T>[] = [];
  readonly ready: Promise<void>;
  /** set by `unload`: this object no longer serves the queue (another member leased it) */
  private unloaded: Error | undefined;

  constructor(
    readonly key: TaskQueueKey,
    private readonly store: TaskStore,
  ) {
    this.ready = this.init();
  }

  private async init(): Promise<void> {
    this.rangeId = await this.store.leaseTaskQueue(this.key, jsonBlob({ name: this.key.name, kind: 'normal' }, FORMAT.taskQueueInfo));
    for (let after = 0; ;) {
      const rows = await this.store.getTasks(this.key, after, 1000);
      if (rows.length === 0) break;
      for (const r of rows) this.backlog.push({ kind: 'task', ref: readJsonBlob<T>(r.task, FORMAT.task), taskId: r.taskId });
      after = rows[rows.length - 1]!.taskId;
    }
  }

  /** Sync match to a waiting poller, else persist and queue. */
  async add(ref: T): Promise<void> {
    await this.ready;
    if (this.unloaded) throw this.unloaded; // the adder retries at the queue's owner
    const done = new Deferred<void>();
    if (this.offer({ kind: 'task', ref, taskId: undefined, done })) return done.promise;
    await this.persist(ref);
  }

  /** Sync match to a waiting poller, else into the durable backlog; `item.done` settles as for `add`. */
  async addItem(item: QueueItem<T>): Promise<void> {
    try {
      await this.ready;
    } catch (err) {
      if (item.kind === 'task') item.done?.reject(err); // else its adder would wait forever
      throw err;
    }
    if (this.unloaded) {
      if (item.kind === 'task') item.done?.reject(this.unloaded);
      throw this.unloaded;
    }
    if (this.offer(item)) return;
    await this.fail(item);
  }

  async fail(item: QueueItem<T>): Promise<void> {
    if (item.kind !== 'task' || item.taskId !== undefined) {
      this.requeue(item);
      return;
    }
    try {
      await this.persist(item.ref);
      item.done?.resolve();
    } catch (err) {
      item.done?.reject(err);
      throw err;
    }
  }

  async persist(ref: T): Promise<void> {
    if (this.seq + 1 >= TASK_ID_BLOCK) {
      this.rangeId = await this.store.leaseTaskQueue(this.key, jsonBlob({ name: this.key.name, kind: 'normal' }, FORMAT.taskQueueInfo));
      this.seq = 0;
    }
    const taskId = this.rangeId * TASK_ID_BLOCK + ++this.seq;
    await this.store.createTasks(this.key, this.rangeId, [{ taskId, task: jsonBlob(ref, FORMAT.task) }]);
    this.enqueue({ kind: 'task', ref, taskId });
  }

  addQuery(queryId: string): void {
    const item: QueueItem<T> = { kind: 'query', queryId };
    if (!this.offer(item)) this.backlog.unshift(item);
  }

  /**
   * Put back an item a poller could not use (it goes first). A sync-matched item stays in memory only;
   * its transfer task is kept by history until `done`.
   */
  requeue(item: QueueItem<T>): void {
    if (this.unloaded) {
      // no one takes from an unloaded queue: a sync-matched task fails back to its adder (history's
      // transfer task, which dispatches it again to the queue's new owner); a persisted one is in the
      // table, where the new owner finds it
      if (item.kind === 'task') item.done?.reject(this.unloaded);
      return;
    }
    if (!this.offer(item)) this.backlog.unshift(item);
  }

  private enqueue(item: QueueItem<T>): void {
    if (!this.offer(item)) this.backlog.push(item);
  }

  private offer(item: QueueItem<T>): boolean {
    const p = this.pollers.shift();
    if (!p) return false;
    p.deferred.resolve(item);
    return true;
  }

  /** Next item, or undefined after `timeoutMs` / on abort. */
  async take(timeoutMs: number, signal: AbortSignal | undefined): Promise<QueueItem<T> | undefined> {
    await this.ready;
    if (this.unloaded) return undefined;
    const first = this.backlog.shift();
    if (first) return first;
    const poller: Poller<T> = { deferred: new Deferred() };
    this.pollers.push(poller);
    const remove = (): void => {
      const i = this.pollers.indexOf(poller);
      if (i >= 0) this.pollers.splice(i, 1);
      poller.deferred.resolve(undefined);
    };
    const timer = setTimeout(remove, timeoutMs);
    signal?.addEventListener('abort', remove);
    const item = await poller.deferred.promise;
    clearTimeout(timer);
    signal?.removeEventListener('abort', remove);
    if (item && signal?.aborted) {
      this.requeue(item);
      return undefined;
    }
    return item;
  }

  async ack(item: QueueItem<T>): Promise<void> {
    if (item.kind !== 'task') return;
    if (item.taskId !== undefined) await this.store.deleteTask(this.key, item.taskId);
    item.done?.resolve();
  }

  /**
   * This process no longer owns the queue (a cluster member handed it over): pollers answer empty,
   * tasks held only in memory (sync-matched, not in the backlog table) fail back to their adders so
   * history keeps their transfer tasks, and the queue must not be used again (the new owner leases
   * it and loads the persisted backlog).
   */
  unload(reason: Error): void {
    this.unloaded = reason;
    this.releasePollers();
    for (const item of this.backlog.splice(0)) if (item.kind === 'task' && item.taskId === undefined) item.done?.reject(reason);
  }

  /** Wake every waiting poller with "no task" (shutdown). */
  releasePollers(): void {
    for (const p of this.pollers.splice(0)) p.deferred.resolve(undefined);
  }
}
