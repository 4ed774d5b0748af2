/**
 * The persistence contracts: one interface per store, blob-level and async (the one implementation of
 * each, sql/, runs on SQLite's synchronous driver as on the pooled PostgreSQL and MySQL ones).
 * Serialisation of typed objects happens above (src/history, src/matching); stores move rows and
 * enforce the fencing rules:
 *  - every write of a history shard checks, inside its transaction, that shards.range_id still equals
 *    the writer's rangeId (else ShardOwnershipLostError);
 *  - execution updates are conditional on db_record_version (else ConditionFailedError);
 *  - matching backlog writes are conditional on task_queues.range_id.
 */
import type { DataBlob } from './blob';

// ---------------------------------------------------------------- shards
export interface ShardRow {
  shardId: number;
  rangeId: number;
  info: DataBlob;
}

export interface ShardStore {
  /** Read the shard, creating it with range_id 0 when missing. */
  getOrCreateShard(shardId: number, initialInfo: DataBlob): Promise<ShardRow>;
  /** Compare-and-set of range_id (ownership acquisition / renewal). */
  updateShard(shardId: number, previousRangeId: number, newRangeId: number, info: DataBlob): Promise<void>;
  /** Every shard's row (cluster describe: which process holds which shard). */
  listShards(): Promise<ShardRow[]>;
}

// ---------------------------------------------------------------- executions
/** Names one workflow run everywhere (history's tasks and mutable state use this type too). */
export interface ExecutionKey {
  namespaceId: string;
  workflowId: string;
  runId: string;
}

export interface CurrentExecutionRow {
  runId: string;
  createRequestId: string;
  state: number;
  status: number;
  startTimeMs: number;
}

export interface ExecutionRow {
  key: ExecutionKey;
  nextEventId: number;
  dbRecordVersion: number;
  info: DataBlob;
  state: DataBlob;
}

export interface HistoryBatchRow {
  treeId: string;
  branchId: string;
  /** first event id of the batch */
  nodeId: number;
  txnId: number;
  prevTxnId: number;
  events: DataBlob;
}

export interface TransferTaskRow {
  taskId: number;
  task: DataBlob;
}

export interface TimerTaskKey {
  visibilityTimestampMs: number;
  taskId: number;
}

export interface TimerTaskRow {
  visibilityTimestampMs: number;
  taskId: number;
  task: DataBlob;
}

export interface NewTasks {
  transfer: TransferTaskRow[];
  timer: TimerTaskRow[];
  visibility: TransferTaskRow[];
}

export interface CurrentExecutionWrite extends CurrentExecutionRow {
  /** Create the row when undefined; else replace it only if it still points at this run. */
  previousRunId: string | undefined;
}

export interface CreateExecutionRequest {
  shardId: number;
  rangeId: number;
  current: CurrentExecutionWrite;
  execution: ExecutionRow;
  historyTree: { treeId: string; branchId: string; info: DataBlob };
  history: HistoryBatchRow[];
  tasks: NewTasks;
}

export interface UpdateExecutionRequest {
  shardId: number;
  rangeId: number;
  execution: ExecutionRow;
  /** the version the caller read; the row must still have it */
  expectedDbRecordVersion: number;
  /** the new state/status of the current_executions row (it must point at this run) */
  current: { state: number; status: number } | undefined;
  history: HistoryBatchRow[];
  tasks: NewTasks;
}

export interface ExecutionStore {
  createWorkflowExecution(req: CreateExecutionRequest): Promise<void>;
  updateWorkflowExecution(req: UpdateExecutionRequest): Promise<void>;
  getWorkflowExecution(shardId: number, key: ExecutionKey): Promise<ExecutionRow | undefined>;
  getCurrentExecution(shardId: number, namespaceId: string, workflowId: string): Promise<CurrentExecutionRow | undefined>;
  /** Batches of a branch ordered by node id; for equal node ids only the highest txn id counts. */
  readHistoryBranch(shardId: number, treeId: string, branchId: string): Promise<HistoryBatchRow[]>;
  /**
   * A page of a branch, as readHistoryBranch orders it: the batch holding event `fromEventId` (the
   * last batch whose node id is not above it) and the batches after it, at most `limit` rows read
   * (a node written twice counts twice, so a page may hold fewer batches). The cost does not depend
   * on where in the history the page is.
   */
  readHistoryBranchFrom(shardId: number, treeId: string, branchId: string, fromEventId: number, limit: number): Promise<HistoryBatchRow[]>;

  /** Delete a closed run (retention): execution row, history, and the current row if it still points at it. */
  deleteWorkflowExecution(shardId: number, rangeId: number, key: ExecutionKey): Promise<void>;

  getTransferTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]>;
  getTimerTasks(shardId: number, beforeTimestampMs: number, limit: number): Promise<TimerTaskRow[]>;
  /** Earliest pending timer of the shard, if any. */
  getNextTimerTimestamp(shardId: number): Promise<number | undefined>;
  getVisibilityTasks(shardId: number, afterTaskId: number, limit: number): Promise<TransferTaskRow[]>;
  /**
   * Executed outbox tasks, deleted many at a time (fenced, like every shard write): the queue
   * processors collect what they executed and delete it in one write now and then, so a task costs
   * no write of its own. Ids that are gone already are no error.
   */
  deleteTransferTasks(shardId: number, rangeId: number, taskIds: readonly number[]): Promise<void>;
  deleteVisibilityTasks(shardId: number, rangeId: number, taskIds: readonly number[]): Promise<void>;
  deleteTimerTasks(shardId: number, rangeId: number, keys: readonly TimerTaskKey[]): Promise<void>;
}

// ---------------------------------------------------------------- matching
export interface TaskQueueKey {
  namespaceId: string;
  name: string;
  /** 1 = workflow, 2 = activity (temporal.api.enums.v1.TaskQueueType) */
  taskType: number;
}

export interface TaskRow {
  taskId: number;
  task: DataBlob;
}

export interface TaskStore {
  /** Take (or renew) ownership of a task queue: create it or bump its range_id; returns the new one. */
  leaseTaskQueue(key: TaskQueueKey, info: DataBlob): Promise<number>;
  listTaskQueues(): Promise<TaskQueueKey[]>;
  /** Insert backlog tasks if range_id still equals rangeId. */
  createTasks(key: TaskQueueKey, rangeId: number, tasks: TaskRow[]): Promise<void>;
  getTasks(key: TaskQueueKey, afterTaskId: number, limit: number): Promise<TaskRow[]>;
  deleteTask(key: TaskQueueKey, taskId: number): Promise<void>;
}

// ---------------------------------------------------------------- namespaces & cluster
export interface NamespaceRow {
  id: string;
  name: string;
  notificationVersion: number;
  info: DataBlob;
  isGlobal: boolean;
}

export interface NamespaceStore {
  createNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean>;
  getNamespaceByName(name: string): Promise<NamespaceRow | undefined>;
  getNamespaceById(id: string): Promise<NamespaceRow | undefined>;
  listNamespaces(): Promise<NamespaceRow[]>;
  /** Replace a namespace's info (same id and name); bumps the notification version. False when it does not exist. */
  updateNamespace(row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean>;
  /** Give namespace `id` (now named `oldName`) the name `row.name` and its info; false when it is gone or the new name is taken. */
  renameNamespace(oldName: string, row: Omit<NamespaceRow, 'notificationVersion'>): Promise<boolean>;
  /** Remove namespace `id` (DeleteNamespace, once its executions are gone). */
  deleteNamespace(id: string): Promise<void>;
}

/** One server version that ran on this database (table server_version_history). */
export interface ServerVersionRow {
  serverVersion: string;
  firstStartedMs: number;
  /** When its start-up upgrade work (the shard-metadata rewrite) finished; undefined until then. */
  activatedMs: number | undefined;
  /** Progress of its start-up work (json), if recorded. */
  progress: DataBlob | undefined;
}

export interface ClusterMetadataStore {
  listServerVersions(clusterName: string): Promise<ServerVersionRow[]>;
  /** Records that `serverVersion` started on this database (first start only; later calls change nothing). */
  recordServerVersionStart(clusterName: string, serverVersion: string, nowMs: number): Promise<void>;
  /** Saves the progress of its start-up work and, once done, when it became active. */
  updateServerVersion(clusterName: string, serverVersion: string, progress: DataBlob, activatedMs: number | undefined): Promise<void>;
  getClusterMetadata(clusterName: string): Promise<{ info: DataBlob; version: number } | undefined>;
  /** Insert or compare-and-set on version. Returns false when the version moved. */
  saveClusterMetadata(clusterName: string, info: DataBlob, previousVersion: number | undefined): Promise<boolean>;
}

// ---------------------------------------------------------------- cluster membership
/** The roles a server process plays, each registered as its own membership row. */
export type MemberRole = 'frontend' | 'history' | 'matching';

/** One process in one role (table cluster_membership); times are epoch milliseconds. */
export interface MemberRow {
  /** the process's id for this session (a new one at every start) */
  hostId: string;
  role: MemberRole;
  /** where the other processes reach it (its internal gRPC API) */
  rpcAddress: string;
  rpcPort: number;
  /** hostname:pid, for people */
  identity: string;
  serverVersion: string;
  sessionStartMs: number;
  lastHeartbeatMs: number;
  /** after this time the member counts as gone unless it heartbeats again */
  recordExpiryMs: number;
}

export interface ClusterMembershipStore {
  /** Registers the member or renews its heartbeat and expiry (an upsert on host id and role). */
  upsertMember(row: MemberRow): Promise<void>;
  /** Members whose record has not expired at `nowMs` (every role, or the one asked for), by host id. */
  listMembers(nowMs: number, role?: MemberRole): Promise<MemberRow[]>;
  /** Every row, expired or not (cluster describe shows the recently gone too). */
  listAllMembers(): Promise<MemberRow[]>;
  /** A graceful stop: the member's rows go at once, so the others take its shards without waiting for expiry. */
  removeMember(hostId: string): Promise<void>;
  /** Deletes rows that expired before `beforeMs`; returns how many. */
  pruneExpired(beforeMs: number): Promise<number>;
}

// ---------------------------------------------------------------- data format rewrites
/** One background rewrite of a kind of blob into a newer format (table data_format_rewrite). */
export interface DataRewriteRecord {
  /** what is rewritten, e.g. "mutable_state" (executions.data) */
  store: string;
  targetFormat: number;
  /** where to resume: the last key handled, opaque to the store */
  cursor: Buffer | undefined;
  /** rows converted by the rewrite (rows an owner rewrote first are not counted) */
  rowsRewritten: number;
  /** the rows there were to look at when the rewrite started */
  rowsTotal: number | undefined;
  /** rows looked at so far: the progress against rowsTotal */
  rowsScanned: number;
  startedMs: number;
  updatedMs: number | undefined;
  completedMs: number | undefined;
}

export interface ExecutionScanKey extends ExecutionKey {
  shardId: number;
}

export interface ExecutionBlobRow {
  key: ExecutionScanKey;
  dbRecordVersion: number;
  info: DataBlob;
}

export interface DataRewriteStore {
  listDataRewrites(): Promise<DataRewriteRecord[]>;
  /** Insert or replace the record of (store, targetFormat). */
  saveDataRewrite(record: DataRewriteRecord): Promise<void>;
  countExecutions(): Promise<number>;
  /** How many executions rows hold each mutable-state encoding (a full scan: status, not hot path). */
  countExecutionsByEncoding(): Promise<Map<string, number>>;
  /** Executions rows in primary-key order after `after` (from the start when undefined). */
  scanExecutions(after: ExecutionScanKey | undefined, limit: number): Promise<ExecutionBlobRow[]>;
  /**
   * Replaces each row's mutable-state blob with the same state in another format, only if the row
   * still has the read db_record_version and encoding (an owner's write since then already rewrote
   * it); true for each row replaced. db_record_version is left alone: the content is unchanged, so
   * a cached copy stays valid.
   */
  replaceExecutionInfos(items: readonly { row: ExecutionBlobRow; info: DataBlob }[]): Promise<boolean[]>;
}

/** One opened database: the stores a server process needs. */
export interface PersistenceBundle {
  readonly shards: ShardStore;
  readonly executions: ExecutionStore;
  readonly tasks: TaskStore;
  readonly namespaces: NamespaceStore;
  readonly cluster: ClusterMetadataStore;
  readonly dataRewrite: DataRewriteStore;
  readonly membership: ClusterMembershipStore;
  close(): Promise<void>;
}
