/**
 * HistoryEngine: owns the shards of this process and the one way to change an execution:
 * `update(ref, fn)` = lock the execution, load its mutable state, let `fn` mutate a copy through a
 * MutationContext, then commit state + events + tasks in one fenced transaction. The public API
 * methods live in src/history/api/*; the queue processors in src/history/queues/*.
 */
import { EventEmitter } from 'node:events';
import { KeyedMutex } from '../common/async';
import { ConditionFailedError, NotFoundError, ShardOwnershipLostError, UnavailableError } from '../common/errors';
import { shardIdFor } from '../common/ids';
import type { Logger } from '../common/logger';
import { api, num, type IHistoryEvent } from '../common/proto';
import {
  FORMAT,
  jsonBlob,
  protoBlob,
  readProtoBlob,
  type ExecutionKey,
  type DataBlob,
  type ExecutionRow,
  type HistoryBatchRow,
  type NewTasks,
  type PersistenceBundle,
} from '../persistence';
import { MutationContext } from './context';
import { forEachEncodedEvent } from './encoded-history';
import { HistoryCache, type CachedBatch } from './history-cache';
import { localCrossShard, type CrossShardCalls } from './cross-shard';
import { DEFAULT_LIMITS, enforceHistoryLimits, historyFootprint, HistoryLimitExceededError, type Limits } from './limits';
import { packageVersion } from '../common/package-info';
import { decodeMutableState, encodeMutableState, EXECUTION_STATE, type MutableState } from './mutable-state';
import { ShardContext, type ShardLossReporter, type WriteLease } from './shard';
import { executionStatus, isRunning } from './state-machines/states';
import { encodeTask, type VisibilityTask } from './tasks';
import type { MatchingClient } from './matching-client';
import type { VisibilityWriter } from '../visibility';

const History = api.history.v1.History;

/** History batches (rows) read per query by readHistoryFrom. */
const BATCHES_PER_READ = 256;

/** How many shard acquisitions run at once at start-up. */
const SHARD_ACQUIRE_CONCURRENCY = 64;

export interface HistoryEngineOptions {
  numHistoryShards: number;
  longPollTimeoutMs: number;
  hostIdentity: string;
  /** the server version recorded in the shard metadata this process rewrites (default: the package's) */
  serverVersion?: string;
  /** size limits (live object; Temporal's defaults when absent) */
  limits?: Limits;
  /** executions whose mutable state is kept in memory (`history.cacheMaxSize`; default MUTABLE_STATE_CACHE_SIZE) */
  mutableStateCacheSize?: number;
  /** bytes of stored history kept in memory (`history.eventsCacheMaxSizeBytes`; 0: none; default in history-cache.ts) */
  historyCacheBytes?: number;
}

/** Executions whose mutable state is kept in memory by default (a miss costs one indexed read). */
const MUTABLE_STATE_CACHE_SIZE = Number(process.env.TTS_MUTABLE_STATE_CACHE_SIZE ?? 20_000);

/**
 * A Map in (nearly) least-recently-used order: set() evicts the oldest beyond `max`. get() and set()
 * of a held key move its entry to the young end only when more than a quarter of `max` insertions
 * and moves happened since it was last put there: a Map delete + set on every hit (several per
 * request) left holes that the Map compacts over and over, and an entry among the youngest quarter
 * is in no danger of eviction.
 */
class LruCache<K, V> {
  private readonly map = new Map<K, { v: V; at: number }>();
  /** counts sets and moves: an entry's `at` is this count when it was put at the young end */
  private clock = 0;
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const e = this.map.get(k);
    if (e !== undefined) this.refresh(k, e);
    return e?.v;
  }
  set(k: K, v: V): void {
    const e = this.map.get(k);
    if (e !== undefined) {
      e.v = v;
      this.refresh(k, e);
      return;
    }
    this.map.set(k, { v, at: ++this.clock });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
  private refresh(k: K, e: { v: V; at: number }): void {
    if (this.clock - e.at <= this.max / 4) return;
    this.map.delete(k);
    e.at = ++this.clock;
    this.map.set(k, e);
  }
  delete(k: K): void {
    this.map.delete(k);
  }
  clear(): void {
    this.map.clear();
  }
}

/** See HistoryEngine.watchChanges. */
export interface ChangeWatch {
  /** true when the execution changed since the watch began or the last wait, false on timeout/abort */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/** What history needs to know of namespaces (a port: the server passes the namespace registry). */
export interface NamespaceLookup {
  /** undefined when no namespace has this name */
  byName(name: string): Promise<{ id: string; name: string } | undefined>;
  /** how long closed runs of the namespace are kept */
  retentionMs(namespaceId: string): Promise<number>;
}

/** Everything the engine works with, given once at construction. */
export interface HistoryEngineDeps {
  store: PersistenceBundle;
  options: HistoryEngineOptions;
  log: Logger;
  /** where transfer tasks hand workflow and activity tasks (and queries) */
  matching: MatchingClient;
  namespaces: NamespaceLookup;
  /** when set, commits write visibility tasks and retention deletes the run's visibility record */
  visibility?: VisibilityWriter;
  /** where transfer tasks reach other executions (in a cluster: the routing client); this engine when absent */
  crossShard?: CrossShardCalls;
  /** how a shard taken by another process is reported (in a cluster: hand-over or surprise); an error when absent */
  onShardLost?: ShardLossReporter;
}

interface CachedState {
  ms: MutableState;
  dbRecordVersion: number;
  /** `ms` as stored: an update starts from a fresh decode of it (cheaper than structuredClone, and exactly what a cache miss reads) */
  info: DataBlob;
}

export class HistoryEngine {
  readonly shards = new Map<number, ShardContext>();
  private readonly locks = new KeyedMutex();
  /** mutable states by execution, least recently used first; bounded (options.mutableStateCacheSize) */
  private readonly cache: LruCache<string, CachedState>;
  /** the stored history of runs this process created and wrote since (see history-cache.ts); dropped with `cache` */
  private readonly historyCache: HistoryCache;
  /**
   * Executions whose write is in flight, settled once the cache holds what was committed. Between the
   * database commit and the cache update a reader would find the previous state in the cache while
   * the tasks of the commit are already visible to the queue processors: the visibility queue then
   * recorded a closed run as running, for good (its task was deleted after it ran). Readers wait here.
   */
  private readonly committing = new Map<string, Promise<void>>();
  /** emits `changed:<ns>/<wf>/<run>` after each commit of that execution */
  readonly notifier = new EventEmitter();
  /** last known retention per namespace id: lets a close schedule its deletion in the same commit */
  readonly retentionHints = new Map<string, number>();
  readonly store: PersistenceBundle;
  readonly opts: HistoryEngineOptions;
  readonly log: Logger;
  readonly matching: MatchingClient;
  /** namespace names and retention: children in other namespaces, deletion of closed runs */
  readonly namespaces: NamespaceLookup;
  /** the visibility store's writer; undefined when the server runs without one */
  readonly visibility: VisibilityWriter | undefined;
  readonly limits: Limits;
  /** other executions, wherever their shard is owned (see cross-shard.ts) */
  readonly crossShard: CrossShardCalls;
  private readonly onShardLost: ShardLossReporter | undefined;

  constructor(deps: HistoryEngineDeps) {
    this.crossShard = deps.crossShard ?? localCrossShard(this);
    this.onShardLost = deps.onShardLost;
    this.store = deps.store;
    this.opts = deps.options;
    this.log = deps.log;
    this.matching = deps.matching;
    this.namespaces = deps.namespaces;
    this.visibility = deps.visibility;
    this.notifier.setMaxListeners(0);
    this.limits = deps.options.limits ?? { ...DEFAULT_LIMITS };
    this.cache = new LruCache<string, CachedState>(deps.options.mutableStateCacheSize ?? MUTABLE_STATE_CACHE_SIZE);
    this.historyCache = new HistoryCache(deps.options.historyCacheBytes);
  }

  /**
   * Acquires every shard: bumps its range_id and rewrites its metadata in the current format (the
   * upgrade page's "History loads all shards and updates the shard metadata"). Many acquisitions run
   * at once so that their writes share transactions; `onProgress` hears each one.
   */
  async start(onProgress: (done: number, total: number) => void = () => undefined): Promise<void> {
    const total = this.opts.numHistoryShards;
    let next = 1;
    let done = 0;
    const worker = async () => {
      while (next <= total) {
        const id = next++;
        const shard = new ShardContext(id, this.store, this.opts.hostIdentity, this.log, this.opts.serverVersion ?? packageVersion(), this.onShardLost);
        await shard.acquire();
        this.shards.set(id, shard);
        onProgress(++done, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SHARD_ACQUIRE_CONCURRENCY, total) }, worker));
  }

  /**
   * Acquires one shard (range_id bump, metadata rewritten) and adds it to the shards this process
   * serves; a shard held before (lost or released) is replaced.
   */
  async acquireShard(shardId: number): Promise<ShardContext> {
    const shard = new ShardContext(shardId, this.store, this.opts.hostIdentity, this.log, this.opts.serverVersion ?? packageVersion(), this.onShardLost);
    await shard.acquire();
    // another owner may have written its executions meanwhile: nothing cached of them is trusted
    if (this.shards.has(shardId)) this.forgetAll();
    this.shards.set(shardId, shard);
    return shard;
  }

  /** Stops serving a shard (another member owns it now): its writes fail from here on, its cached states go. */
  releaseShard(shardId: number): void {
    const shard = this.shards.get(shardId);
    if (!shard) return;
    shard.released = true;
    this.shards.delete(shardId);
    this.forgetAll();
    // long polls waiting on its executions wake up, find the shard gone here and go to its new owner
    for (const ev of this.notifier.eventNames()) {
      const m = typeof ev === 'string' ? /^changed:([^/]*)\/(.*)\/[^/]*$/.exec(ev) : null;
      if (m && shardIdFor(m[1]!, m[2]!, this.opts.numHistoryShards) === shardId) this.notifier.emit(ev);
    }
  }

  /** Drops every cached mutable state and history: another process may have written them. */
  private forgetAll(): void {
    this.cache.clear();
    this.historyCache.clear();
  }

  /** Whether this process serves the shard now. */
  ownsShard(shardId: number): boolean {
    const shard = this.shards.get(shardId);
    return !!shard && !shard.lost && !shard.released;
  }

  shardFor(namespaceId: string, workflowId: string): ShardContext {
    const shard = this.shards.get(shardIdFor(namespaceId, workflowId, this.opts.numHistoryShards));
    if (!shard) throw new UnavailableError(`shard for ${workflowId} is not owned by this host`);
    shard.assertOwned();
    return shard;
  }

  static key(ref: ExecutionKey): string {
    return `${ref.namespaceId}/${ref.workflowId}/${ref.runId}`;
  }

  // ---------------------------------------------------------------- reading
  /** The run id of the current run of a workflow id, or NotFound. */
  async currentRunId(namespaceId: string, workflowId: string): Promise<string> {
    const shard = this.shardFor(namespaceId, workflowId);
    const cur = await this.store.executions.getCurrentExecution(shard.shardId, namespaceId, workflowId);
    if (!cur) throw new NotFoundError(`workflow execution not found: ${workflowId}`, { workflowId });
    return cur.runId;
  }

  async resolve(namespaceId: string, workflowId: string, runId: string | null | undefined): Promise<ExecutionKey> {
    return { namespaceId, workflowId, runId: runId ? runId : await this.currentRunId(namespaceId, workflowId) };
  }

  /**
   * The execution's mutable state from the cache or the database. Only callers that hold the
   * execution's lock (`update`) may put what they read into the cache: a lock-free reader's row can
   * be overtaken by a commit while it is in flight, and caching it would bring back an old version
   * (every later update then fails its db_record_version check, and a closed run looks running).
   */
  private async load(shard: ShardContext, ref: ExecutionKey, locked: boolean): Promise<CachedState> {
    const k = HistoryEngine.key(ref);
    const hit = this.cache.get(k);
    if (hit) return hit;
    const row = await this.store.executions.getWorkflowExecution(shard.shardId, ref);
    if (!row) throw new NotFoundError(`workflow execution not found: ${ref.workflowId}/${ref.runId}`, ref);
    const loaded = { ms: decodeMutableState(row.info), dbRecordVersion: row.dbRecordVersion, info: row.info };
    if (locked) this.cache.set(k, loaded);
    return loaded;
  }

  /** A read-only snapshot of the mutable state (a copy). */
  async getMutableState(ref: ExecutionKey): Promise<MutableState> {
    const shard = this.shardFor(ref.namespaceId, ref.workflowId);
    // a commit of this execution in flight: wait for it, as peekMutableState does
    const inFlight = this.committing.get(HistoryEngine.key(ref));
    if (inFlight) await inFlight;
    return decodeMutableState((await this.load(shard, ref, false)).info);
  }

  /**
   * The mutable state without a copy, for readers that only look (long polls, visibility, queue
   * handlers): never mutate it. The cached object is never changed in place (an update works on a
   * copy and replaces it when it commits), so what this returns stays a consistent snapshot.
   */
  async peekMutableState(ref: ExecutionKey): Promise<Readonly<MutableState>> {
    const shard = this.shardFor(ref.namespaceId, ref.workflowId);
    // a commit of this execution in flight: its tasks may be what the caller is handling (see `committing`)
    const inFlight = this.committing.get(HistoryEngine.key(ref));
    if (inFlight) await inFlight;
    return (await this.load(shard, ref, false)).ms;
  }

  async readHistory(ref: ExecutionKey): Promise<IHistoryEvent[]> {
    const shard = this.shardFor(ref.namespaceId, ref.workflowId);
    const batches = await this.store.executions.readHistoryBranch(shard.shardId, ref.runId, ref.runId);
    const out: IHistoryEvent[] = [];
    for (const b of batches) out.push(...History.decode(readProtoBlob(b.events, FORMAT.historyBatch)).events);
    return out;
  }

  /**
   * Up to `maxEvents` events of the run from `fromEventId` up to (not including) `nextEventId` (the
   * mutable state's), and whether more events follow in that range. Decoded from the stored batches'
   * bytes of those events only (see readEncodedHistoryFrom).
   */
  async readHistoryFrom(ref: ExecutionKey, fromEventId: number, nextEventId: number, maxEvents: number): Promise<{ events: IHistoryEvent[]; more: boolean }> {
    const { bytes, more } = await this.readEncodedHistoryFrom(ref, fromEventId, nextEventId, maxEvents);
    return { events: History.decode(bytes).events, more };
  }

  /**
   * readHistoryFrom without decoding: the events as an encoded History (their stored bytes, cut out
   * of the batches by id), how many, the id of the last one (0 when none), and whether more events
   * follow in the range. Read by primary key from the batch that holds the first (a page costs the
   * same wherever it is in the history); batches are read BATCHES_PER_READ at a time until the page
   * is full.
   */
  async readEncodedHistoryFrom(
    ref: ExecutionKey,
    fromEventId: number,
    nextEventId: number,
    maxEvents: number,
  ): Promise<{ bytes: Buffer; count: number; lastEventId: number; more: boolean }> {
    const shard = this.shardFor(ref.namespaceId, ref.workflowId);
    const page = new HistoryPage(fromEventId, nextEventId, maxEvents);
    // batches this process wrote: no read (the entry holds every stored batch of the run)
    const k = HistoryEngine.key(ref);
    const cached = this.historyCache.batchesUpTo(k, nextEventId);
    if (cached) {
      for (let i = 0; i < cached.length && !page.more; i++) {
        const b = cached[i]!;
        if (b.firstEventId >= nextEventId) break;
        // a batch wholly before the page (the next one starts at or before its first event) is skipped unread
        const next = cached[i + 1];
        if (next && next.firstEventId <= page.from) continue;
        page.add(b.bytes);
      }
      const result = page.result();
      // read to the end: a closed run's entry has served its purpose (its result was read)
      if (!result.more) this.historyCache.read(k, nextEventId);
      return result;
    }
    while (page.from < nextEventId && !page.more) {
      const from = page.from;
      const batches = await this.store.executions.readHistoryBranchFrom(shard.shardId, ref.runId, ref.runId, from, BATCHES_PER_READ);
      for (const b of batches) {
        page.add(readProtoBlob(b.events, FORMAT.historyBatch));
        if (page.more) break;
      }
      if (page.from === from) break; // nothing more stored (a history shorter than its mutable state says: never in practice)
    }
    return page.result();
  }

  // ---------------------------------------------------------------- writing
  /**
   * Run `fn` on a copy of the execution's mutable state under its lock and commit what it did.
   * If `fn` throws nothing is written.
   */
  async update<T>(ref: ExecutionKey, fn: (ctx: MutationContext) => T | Promise<T>): Promise<T> {
    const shard = this.shardFor(ref.namespaceId, ref.workflowId);
    const k = HistoryEngine.key(ref);
    return this.locks.run(k, async () => {
      const loaded = await this.load(shard, ref, true);
      const ctx = new MutationContext(decodeMutableState(loaded.info), Date.now());
      ctx.retentionHintMs = this.retentionHints.get(ref.namespaceId);
      const before = historyFootprint(ctx.ms);
      const result = await fn(ctx);
      if (!ctx.dirty && ctx.newEvents.length === 0 && ctx.transferTasks.length === 0 && ctx.timerTasks.length === 0) return result;
      const limitExceeded = enforceHistoryLimits(ctx, this.limits, this.log, before);
      await this.commitUpdate(shard, loaded, ctx);
      if (limitExceeded) throw new HistoryLimitExceededError(limitExceeded);
      return result;
    });
  }

  /** Which visibility task a commit needs: a new run, a close, or changed search attributes / memo. */
  private visibilityTasks(ctx: MutationContext, before: MutableState | undefined): VisibilityTask[] {
    if (!this.visibility) return [];
    const e = ctx.ms.execution;
    let kind: VisibilityTask['kind'] | undefined;
    if (!before) kind = 'start';
    else if (isRunning(before) && !isRunning(ctx.ms)) kind = 'close';
    else if (before.execution.searchAttributesB64 !== e.searchAttributesB64 || before.execution.memoB64 !== e.memoB64) kind = 'upsert';
    return kind ? [{ ...ctx.ref, type: 'visibility', kind }] : [];
  }

  /** The rows of one commit, its task ids taken under a write lease (the caller ends it once the write settled). */
  private async buildWrite(
    shard: ShardContext,
    ctx: MutationContext,
    before?: MutableState,
  ): Promise<{ history: HistoryBatchRow[]; batch: CachedBatch | undefined; tasks: NewTasks; lease: WriteLease }> {
    const visibility = this.visibilityTasks(ctx, before);
    const lease = await shard.openWrite(ctx.transferTasks.length + ctx.timerTasks.length + visibility.length + 1);
    const ms = ctx.ms;
    const history: HistoryBatchRow[] = [];
    let batch: CachedBatch | undefined;
    if (ctx.newEvents.length > 0) {
      const bytes = History.encode(History.fromObject({ events: ctx.newEvents })).finish();
      const txnId = shard.nextTaskId();
      const events = protoBlob(bytes, FORMAT.historyBatch);
      batch = { firstEventId: num(ctx.newEvents[0]!.eventId), bytes: ownBytes(events.data) };
      history.push({ treeId: ms.execution.runId, branchId: ms.execution.runId, nodeId: batch.firstEventId, txnId, prevTxnId: ms.lastTxnId, events });
      ms.lastTxnId = txnId;
      ms.historySizeBytes += bytes.length;
    }
    const tasks: NewTasks = {
      transfer: ctx.transferTasks.map((t) => ({ taskId: shard.nextTaskId(), task: encodeTask(t) })),
      timer: ctx.timerTasks.map((t) => ({ visibilityTimestampMs: t.atMs, taskId: shard.nextTaskId(), task: encodeTask(t.task) })),
      visibility: visibility.map((t) => ({ taskId: shard.nextTaskId(), task: encodeTask(t) })),
    };
    ctx.committedTransfer = ctx.transferTasks.map((task, i) => ({ taskId: tasks.transfer[i]!.taskId, task }));
    return { history, batch, tasks, lease };
  }

  private executionRow(ms: MutableState, dbRecordVersion: number): ExecutionRow {
    return {
      key: { namespaceId: ms.execution.namespaceId, workflowId: ms.execution.workflowId, runId: ms.execution.runId },
      nextEventId: ms.nextEventId,
      dbRecordVersion,
      info: encodeMutableState(ms),
      state: jsonBlob({ state: ms.execution.state, status: executionStatus(ms) }, FORMAT.executionState),
    };
  }

  private async commitUpdate(shard: ShardContext, loaded: CachedState, ctx: MutationContext): Promise<void> {
    const k = HistoryEngine.key(ctx.ref);
    const { history, batch, tasks, lease } = await this.buildWrite(shard, ctx, loaded.ms);
    const version = loaded.dbRecordVersion + 1;
    const execution = this.executionRow(ctx.ms, version);
    const settled = this.markCommitting(k);
    try {
      await this.store.executions.updateWorkflowExecution({
        shardId: shard.shardId,
        rangeId: lease.rangeId,
        execution,
        expectedDbRecordVersion: loaded.dbRecordVersion,
        // the current row carries the run's state and status: written only when they change
        current: ctx.currentRowMovedOn || !stateChanged(loaded.ms, ctx.ms) ? undefined : { state: stateCode(ctx.ms), status: executionStatus(ctx.ms) },
        history,
        tasks,
      });
    } catch (err) {
      // the commit failed or is in doubt: what is stored is read again
      this.cache.delete(k);
      this.historyCache.delete(k);
      settled();
      shard.markLostIf(err);
      throw err;
    } finally {
      lease.end();
    }
    this.cache.set(k, { ms: ctx.ms, dbRecordVersion: version, info: execution.info });
    if (batch) this.historyCache.appended(k, batch, storedNextEventId(ctx), !isRunning(ctx.ms));
    settled();
    this.afterCommit(shard, ctx, tasks.visibility.length > 0);
  }

  /** Marks `k` as being written (see `committing`); the returned function settles it. */
  private markCommitting(k: string): () => void {
    let resolve!: () => void;
    const p = new Promise<void>((r) => (resolve = r));
    this.committing.set(k, p);
    return () => {
      if (this.committing.get(k) === p) this.committing.delete(k);
      resolve();
    };
  }

  /** Create a new run (the first batch of history and its tasks) in one transaction. */
  async create(ctx: MutationContext, previousRunId: string | undefined): Promise<void> {
    const ms = ctx.ms;
    const shard = this.shardFor(ms.execution.namespaceId, ms.execution.workflowId);
    const { history, batch, tasks, lease } = await this.buildWrite(shard, ctx);
    const execution = this.executionRow(ms, 1);
    try {
      await this.store.executions.createWorkflowExecution({
        shardId: shard.shardId,
        rangeId: lease.rangeId,
        current: {
          previousRunId,
          runId: ms.execution.runId,
          createRequestId: ms.execution.createRequestId,
          state: stateCode(ms),
          status: executionStatus(ms),
          startTimeMs: ms.execution.startTimeMs,
        },
        execution,
        historyTree: {
          treeId: ms.execution.runId,
          branchId: ms.execution.runId,
          info: jsonBlob({ createdTimeMs: ctx.nowMs, info: `${ms.execution.namespaceId}/${ms.execution.workflowId}` }, FORMAT.historyBatch),
        },
        history,
        tasks,
      });
    } catch (err) {
      shard.markLostIf(err);
      throw err;
    } finally {
      lease.end();
    }
    this.cache.set(HistoryEngine.key(ctx.ref), { ms, dbRecordVersion: 1, info: execution.info });
    if (batch) this.historyCache.created(HistoryEngine.key(ctx.ref), batch, storedNextEventId(ctx));
    this.afterCommit(shard, ctx, tasks.visibility.length > 0);
  }

  /** Delete a closed run's data (retention), under its lock. */
  async deleteExecution(ref: ExecutionKey): Promise<void> {
    const shard = this.shardFor(ref.namespaceId, ref.workflowId);
    const k = HistoryEngine.key(ref);
    await this.locks.run(k, async () => {
      try {
        await shard.fenced((rangeId) => this.store.executions.deleteWorkflowExecution(shard.shardId, rangeId, ref));
      } finally {
        this.cache.delete(k);
        this.historyCache.delete(k);
      }
    });
    // the run's visibility record goes with it
    await this.visibility?.deleteExecution(ref.namespaceId, ref.runId);
    this.notifier.emit(`changed:${k}`);
  }

  private afterCommit(shard: ShardContext, ctx: MutationContext, visibility: boolean): void {
    if (ctx.committedTransfer.length > 0) shard.newTasks.emit('transfer', ctx.committedTransfer);
    if (visibility) shard.newTasks.emit('visibility');
    if (ctx.timerTasks.length > 0) shard.newTasks.emit('timer', Math.min(...ctx.timerTasks.map((t) => t.atMs)));
    this.notifier.emit(`changed:${HistoryEngine.key(ctx.ref)}`);
  }

  /**
   * Subscribe now, wait later: a commit between reading the state and waiting is not missed (with
   * `waitForChange` after a read, such a commit left a long poll waiting for its whole timeout).
   * `close()` when done.
   */
  watchChanges(ref: ExecutionKey): ChangeWatch {
    const ev = `changed:${HistoryEngine.key(ref)}`;
    let changed = false;
    let wake: (() => void) | undefined;
    const onChange = (): void => {
      changed = true;
      wake?.();
    };
    this.notifier.on(ev, onChange);
    return {
      wait: (timeoutMs, signal) =>
        new Promise<boolean>((resolve) => {
          if (changed) {
            changed = false;
            resolve(true);
            return;
          }
          const done = (v: boolean): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = undefined;
            changed = false;
            resolve(v);
          };
          const onAbort = (): void => done(false);
          const timer = setTimeout(() => done(false), timeoutMs);
          wake = () => done(true);
          signal?.addEventListener('abort', onAbort);
        }),
      close: () => {
        this.notifier.off(ev, onChange);
        wake?.();
      },
    };
  }

  /** Resolves when the execution changes or after `timeoutMs` (false). */
  waitForChange(ref: ExecutionKey, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const ev = `changed:${HistoryEngine.key(ref)}`;
    return new Promise((resolve) => {
      const done = (v: boolean): void => {
        clearTimeout(timer);
        this.notifier.off(ev, onChange);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onChange = (): void => done(true);
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.notifier.on(ev, onChange);
      signal?.addEventListener('abort', onAbort);
    });
  }

  isRetryableWriteError(err: unknown): boolean {
    return err instanceof ConditionFailedError && !(err instanceof ShardOwnershipLostError);
  }
}

function stateChanged(before: MutableState, after: MutableState): boolean {
  return stateCode(before) !== stateCode(after) || executionStatus(before) !== executionStatus(after);
}

function stateCode(ms: MutableState): number {
  return isRunning(ms) ? EXECUTION_STATE.running : EXECUTION_STATE.completed;
}

/** The id after the last event a commit stored (its new events are one batch, in id order). */
function storedNextEventId(ctx: MutationContext): number {
  return num(ctx.newEvents[ctx.newEvents.length - 1]!.eventId) + 1;
}

/**
 * A page of events cut out of encoded batches (see readEncodedHistoryFrom): the events with ids in
 * [from, nextEventId), at most maxEvents of them; consecutive events of one batch become one slice.
 */
class HistoryPage {
  private readonly parts: Buffer[] = [];
  private count = 0;
  private lastEventId = 0;
  /** set when an event in range did not fit */
  more = false;
  /** the id of the next event wanted */
  from: number;

  constructor(
    fromEventId: number,
    private readonly nextEventId: number,
    private readonly maxEvents: number,
  ) {
    this.from = Math.max(1, fromEventId);
  }

  add(bytes: Buffer): void {
    let sliceStart = -1;
    let sliceEnd = -1;
    forEachEncodedEvent(bytes, (id, start, end) => {
      if (id < this.from || id >= this.nextEventId) return true;
      if (this.count === this.maxEvents) {
        this.more = true;
        return false;
      }
      if (sliceEnd !== start) {
        if (sliceStart >= 0) this.parts.push(bytes.subarray(sliceStart, sliceEnd));
        sliceStart = start;
      }
      sliceEnd = end;
      this.count++;
      this.lastEventId = id;
      return true;
    });
    if (sliceStart >= 0) this.parts.push(bytes.subarray(sliceStart, sliceEnd));
    if (this.lastEventId >= this.from) this.from = this.lastEventId + 1;
  }

  result(): { bytes: Buffer; count: number; lastEventId: number; more: boolean } {
    const { parts, count, lastEventId, more } = this;
    return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), count, lastEventId, more };
  }
}

/**
 * A copy in memory of its own: a small encoded batch is a slice of a shared 8 KiB allocation pool
 * (Buffer.allocUnsafe), and a cached slice would keep the whole slab alive for as long as the cache
 * holds it.
 */
function ownBytes(b: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}
