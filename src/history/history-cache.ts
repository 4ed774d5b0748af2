/**
 * The stored history of recently written runs, kept in memory as the batches' bytes. A workflow task
 * sent to a worker carries its run's history, and a client waiting for a result reads the close
 * event: without this, each of them reads history batches this process wrote moments before (about
 * three reads per short workflow). A run's entry is started by the commit that creates the run
 * (so it holds every batch from event 1) and grows only by the batches of this process's commits of
 * the run, appended after they committed; anything else (an entry evicted, a commit that failed or
 * is in doubt, a shard moved) drops it, and its history is read from the database as before.
 *
 * Bounded by bytes: a run whose history outgrows MAX_RUN_BYTES is dropped (long histories are read
 * a page at a time from the database), and the least recently used runs go beyond MAX_TOTAL_BYTES.
 * A closed run is dropped once a read has taken its last event (the result long poll, as a rule):
 * after that nobody is expected to ask, and a cache full of finished runs only costs memory.
 */

/** One stored batch: its encoded History bytes and the id of its first event. */
export interface CachedBatch {
  firstEventId: number;
  bytes: Buffer;
}

interface Entry {
  batches: CachedBatch[];
  /** the id after the last stored event */
  nextEventId: number;
  bytes: number;
  /** the run is closed: its last stored event is its last event */
  closed: boolean;
}

const MAX_RUN_BYTES = 64 * 1024;
const MAX_TOTAL_BYTES = Number(process.env.TTS_HISTORY_CACHE_BYTES ?? 32 * 1024 * 1024);

export class HistoryCache {
  /** by execution key, least recently used first */
  private readonly runs = new Map<string, Entry>();
  private total = 0;

  constructor(
    private readonly maxTotalBytes = MAX_TOTAL_BYTES,
    private readonly maxRunBytes = MAX_RUN_BYTES,
  ) {}

  /** A new run committed with its first batch (events firstEventId.. nextEventId - 1). */
  created(k: string, batch: CachedBatch, nextEventId: number): void {
    this.delete(k);
    if (batch.firstEventId !== 1 || batch.bytes.length > this.maxRunBytes || this.maxTotalBytes <= 0) return;
    this.runs.set(k, { batches: [batch], nextEventId, bytes: batch.bytes.length, closed: false });
    this.total += batch.bytes.length;
    this.evict();
  }

  /** A commit of the run added `batch` (events batch.firstEventId.. nextEventId - 1); `closed`: it closed the run. */
  appended(k: string, batch: CachedBatch, nextEventId: number, closed = false): void {
    const e = this.runs.get(k);
    if (!e) return;
    // not contiguous with what is held (never expected): the entry no longer mirrors the store
    if (batch.firstEventId !== e.nextEventId || e.bytes + batch.bytes.length > this.maxRunBytes) {
      this.delete(k);
      return;
    }
    e.batches.push(batch);
    e.nextEventId = nextEventId;
    e.closed = closed;
    e.bytes += batch.bytes.length;
    this.total += batch.bytes.length;
    this.runs.delete(k);
    this.runs.set(k, e);
    this.evict();
  }

  /**
   * Every stored batch of the run when they hold all events before `nextEventId`, else undefined.
   * The array is the entry's own (appended to by later commits): read it now, do not keep it.
   */
  batchesUpTo(k: string, nextEventId: number): readonly CachedBatch[] | undefined {
    const e = this.runs.get(k);
    if (!e || e.nextEventId < nextEventId) return undefined;
    return e.batches;
  }

  /** A read took the run's events up to (not including) `upTo`: a closed run read to its end is dropped. */
  read(k: string, upTo: number): void {
    const e = this.runs.get(k);
    if (e?.closed && upTo >= e.nextEventId) this.delete(k);
  }

  /** How many runs are held (for tests and stats). */
  get size(): number {
    return this.runs.size;
  }

  delete(k: string): void {
    const e = this.runs.get(k);
    if (!e) return;
    this.runs.delete(k);
    this.total -= e.bytes;
  }

  clear(): void {
    this.runs.clear();
    this.total = 0;
  }

  private evict(): void {
    while (this.total > this.maxTotalBytes) {
      const oldest = this.runs.keys().next();
      if (oldest.done) return;
      this.delete(oldest.value);
    }
  }
}
