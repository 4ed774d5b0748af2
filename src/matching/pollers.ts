/**
 * Who polled a task queue lately (DescribeTaskQueue's pollers): identity and last access time per
 * queue, kept in memory for POLLER_TTL_MS after a poller's last poll (Temporal keeps five minutes).
 * Each server process knows the polls it served; a cluster's other processes report their own.
 */
export const POLLER_TTL_MS = 5 * 60_000;
/** Beyond this many queues remembered, recording a poll first forgets the idle ones. */
const MAX_QUEUES = 10_000;

export interface PollerSeen {
  identity: string;
  lastAccessMs: number;
}

export class PollerHistory {
  private readonly byQueue = new Map<string, Map<string, number>>();
  private lastSweepMs = 0;

  private static key(namespaceId: string, taskType: number, name: string): string {
    return `${namespaceId}/${taskType}/${name}`;
  }

  record(namespaceId: string, taskType: number, name: string, identity: string, nowMs = Date.now()): void {
    if (this.byQueue.size > MAX_QUEUES && nowMs - this.lastSweepMs > 60_000) this.forgetIdle(nowMs);
    const k = PollerHistory.key(namespaceId, taskType, name);
    let m = this.byQueue.get(k);
    if (!m) {
      m = new Map();
      this.byQueue.set(k, m);
    }
    m.set(identity, nowMs);
  }

  /** Queues whose every poller is older than the TTL go (many short-lived queues would otherwise pile up). */
  private forgetIdle(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const [k, m] of this.byQueue) if ([...m.values()].every((at) => nowMs - at > POLLER_TTL_MS)) this.byQueue.delete(k);
  }

  /** Pollers seen within the TTL, most recent first (older ones are forgotten). */
  list(namespaceId: string, taskType: number, name: string, nowMs = Date.now()): PollerSeen[] {
    const k = PollerHistory.key(namespaceId, taskType, name);
    const m = this.byQueue.get(k);
    if (!m) return [];
    for (const [id, at] of m) if (nowMs - at > POLLER_TTL_MS) m.delete(id);
    if (m.size === 0) this.byQueue.delete(k);
    return [...m].map(([identity, lastAccessMs]) => ({ identity, lastAccessMs })).sort((a, b) => b.lastAccessMs - a.lastAccessMs);
  }
}
