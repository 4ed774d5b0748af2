/**
 * A worker's sticky task queue: the worker keeps the runs it completed a workflow task for in its
 * cache and polls this queue for their next tasks (history since its last task only). Sync match
 * only: a task is offered here when one of the worker's pollers is waiting, otherwise it goes to the
 * normal queue with full history, so a gone or busy worker never delays a task and nothing about the
 * sticky queue needs to be durable. An item a sticky poller could not use goes to the normal queue.
 */
import { Deferred } from '../common/async';
import type { PollableQueue, QueueItem } from './task-queue';

export class StickyTaskQueue<T> implements PollableQueue<T> {
  private readonly pollers: Deferred<QueueItem<T> | undefined>[] = [];
  lastPollMs = Date.now();

  /** `fallback`: where items go that no sticky poller can take (the run's normal task queue). */
  constructor(private readonly fallback: (item: QueueItem<T>) => Promise<void>) {}

  get waiting(): number {
    return this.pollers.length;
  }

  offer(item: QueueItem<T>): boolean {
    const p = this.pollers.shift();
    if (!p) return false;
    p.resolve(item);
    return true;
  }

  async take(timeoutMs: number, signal: AbortSignal | undefined): Promise<QueueItem<T> | undefined> {
    this.lastPollMs = Date.now();
    const d = new Deferred<QueueItem<T> | undefined>();
    this.pollers.push(d);
    const remove = (): void => {
      const i = this.pollers.indexOf(d);
      if (i >= 0) this.pollers.splice(i, 1);
      d.resolve(undefined);
    };
    const timer = setTimeout(remove, timeoutMs);
    signal?.addEventListener('abort', remove);
    const item = await d.promise;
    clearTimeout(timer);
    signal?.removeEventListener('abort', remove);
    if (item && signal?.aborted) {
      this.requeue(item);
      return undefined;
    }
    return item;
  }

  async ack(item: QueueItem<T>): Promise<void> {
    if (item.kind === 'task') item.done?.resolve();
  }

  /** A sticky poller failed to start the task: it goes to the normal queue. */
  async fail(item: QueueItem<T>): Promise<void> {
    await this.fallback(item);
  }

  requeue(item: QueueItem<T>): void {
    if (this.offer(item)) return;
    // a failure reaches the task's adder (history's transfer queue, which retries) through item.done;
    // left unhandled here it would be an unhandled rejection, which ends the server process
    this.fallback(item).catch(() => undefined);
  }

  releasePollers(): void {
    for (const p of this.pollers.splice(0)) p.resolve(undefined);
  }
}
