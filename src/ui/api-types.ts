/**
 * The Web UI's JSON API (`/api/v1/...`): response shapes shared by the UI server (src/ui/server)
 * and the React app (src/ui/web). Types only, no code, so both builds can import it.
 *
 * Protobuf messages are returned in a readable JSON form: field names as in the proto (camelCase),
 * enums by name, timestamps as ISO-8601 strings, durations as "1.5s", int64 as numbers (strings
 * when beyond 2^53), bytes as base64, and every Payload decoded: json/plain payloads become their
 * JSON value, binary/null becomes null, anything else `{ "_payload": { encoding, metadata, data } }`
 * with base64 data. A `Payloads` message becomes the array of its decoded payloads.
 */

/** Any JSON value made from a protobuf message (see above). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Every error answer: the gRPC status of the server's own API, or a UI-server problem. */
export interface ApiError {
  error: {
    /** gRPC status code (12 = UNIMPLEMENTED ...); absent for errors of the UI server itself */
    code?: number;
    /** "UNIMPLEMENTED", "NOT_FOUND", ... or "BAD_REQUEST" for a bad API call */
    codeName: string;
    message: string;
  };
}

export interface NamespaceSummary {
  name: string;
  id: string;
  state: string;
  description: string;
  retention: string | null;
}

export interface NamespacesResponse {
  namespaces: NamespaceSummary[];
}

export interface WorkflowSummary {
  workflowId: string;
  runId: string;
  type: string;
  /** "Running", "Completed", "Failed", "Canceled", "Terminated", "ContinuedAsNew", "TimedOut" */
  status: string;
  taskQueue: string;
  startTime: string | null;
  closeTime: string | null;
  historyLength: number | null;
}

export interface WorkflowListResponse {
  executions: WorkflowSummary[];
  /** base64; absent on the last page */
  nextPageToken: string | null;
}

export interface WorkflowCountResponse {
  total: number;
  /** status name -> count; null when the server cannot group by status */
  byStatus: Record<string, number> | null;
}

export interface PendingActivity {
  activityId: string;
  activityType: string;
  state: string;
  attempt: number;
  maximumAttempts: number;
  scheduledTime: string | null;
  lastStartedTime: string | null;
  lastHeartbeatTime: string | null;
  heartbeatDetails: Json;
  lastFailure: Json;
  lastWorkerIdentity: string;
}

export interface ChildWorkflow {
  workflowId: string;
  runId: string;
  type: string;
  initiatedId: number | null;
  /** where this entry came from: DescribeWorkflowExecution's pendingChildren or the history */
  source: 'pending' | 'history';
  state: string;
}

export interface WorkflowDetails {
  summary: WorkflowSummary;
  executionTime: string | null;
  parent: { workflowId: string; runId: string; namespace: string } | null;
  firstRunId: string | null;
  /** the run a reset of this run created (the latest), when it was reset */
  resetRunId: string | null;
  historySizeBytes: number | null;
  executionTimeout: string | null;
  runTimeout: string | null;
  /** decoded input of WorkflowExecutionStarted (an array of arguments) */
  input: Json;
  /** the close event's result (completed), failure (failed), details (canceled), reason/details (terminated) */
  result: Json;
  failure: Json;
  closeEventType: string | null;
  pendingActivities: PendingActivity[];
  pendingChildren: ChildWorkflow[];
  pendingWorkflowTask: Json;
  memo: Json;
  searchAttributes: Json;
  /** the whole DescribeWorkflowExecution response, for the "raw" view */
  raw: JsonObject;
}

export interface HistoryEventView {
  eventId: number;
  eventTime: string | null;
  /** e.g. "WorkflowExecutionStarted" (EVENT_TYPE_ prefix removed, PascalCase) */
  eventType: string;
  /** the event's *Attributes message */
  attributes: JsonObject;
}

export interface HistoryResponse {
  events: HistoryEventView[];
  nextPageToken: string | null;
}

export interface StackTraceResponse {
  stackTrace: string;
}

export interface StartWorkflowRequest {
  workflowType: string;
  taskQueue: string;
  workflowId: string;
  /** JSON text: an array is the argument list, anything else is one argument; empty = no arguments */
  input?: string;
}

export interface SignalRequest {
  runId?: string;
  signalName: string;
  /** JSON text, as for StartWorkflowRequest.input */
  input?: string;
}

export interface CancelRequest {
  runId?: string;
  reason?: string;
}

export interface TerminateRequest {
  runId?: string;
  reason: string;
}

export interface StartWorkflowResponse {
  workflowId: string;
  runId: string;
}

/** POST .../reset: the run the reset created. */
export interface ResetWorkflowResponse {
  runId: string;
}

export interface TaskQueuePoller {
  identity: string;
  lastAccessTime: string | null;
  ratePerSecond: number;
}

/** GET /namespaces/:ns/task-queues/:name: pollers (last five minutes) and backlog, per task type. */
export interface TaskQueueResponse {
  name: string;
  workflow: { pollers: TaskQueuePoller[]; backlog: number };
  activity: { pollers: TaskQueuePoller[]; backlog: number };
}

// The upgrade status is defined once, beside the code that reads it.
export type {
  StoreSchemaState as StoreSchemaStatusView,
  RewriteProgress as RewriteProgressView,
  VersionHistoryItem as VersionHistoryItemView,
  UpgradeStatus as UpgradeStatusView,
} from '../upgrade/status-types';
import type { UpgradeStatus as UpgradeStatusView } from '../upgrade/status-types';

export interface ClusterResponse {
  /** GetClusterInfo (versionInfo omitted: see /api/v1/version-info), or the error it answered */
  clusterInfo: JsonObject | ApiError['error'];
  systemInfo: JsonObject | ApiError['error'];
  upgrade: UpgradeStatusView | ApiError['error'];
  /** the server processes sharing the database (as `temporal-ts admin cluster describe` shows them) */
  members?: ClusterMembersView | ApiError['error'];
}

/** One server process of the cluster (src/server/cluster/describe.ts). */
export interface ClusterMemberView {
  hostId: string;
  identity: string;
  address: string;
  ports: { frontend?: number; history?: number; matching?: number };
  serverVersion: string;
  sessionStart: string;
  lastHeartbeat: string;
  state: 'alive' | 'expired';
  shards: number[];
}

export interface ClusterMembersView {
  database: string;
  plugin: string;
  numHistoryShards: number;
  members: ClusterMemberView[];
  otherOwners: { identity: string; shards: number[] }[];
}

export interface ReleaseInfoView {
  version: string;
  releaseTime: string | null;
  /** release notes: a URL (linked) or text */
  notes: string;
}

export interface AlertView {
  message: string;
  /** "high" | "medium" | "low" | "unspecified" */
  severity: 'high' | 'medium' | 'low' | 'unspecified';
}

export interface VersionInfoView {
  current: ReleaseInfoView | null;
  recommended: ReleaseInfoView | null;
  instructions: string;
  alerts: AlertView[];
  lastUpdateTime: string | null;
}

export interface VersionInfoResponse {
  /** "server": GetClusterInfo's versionInfo; "release-feed": the UI server's --release-feed file; "none" */
  source: 'server' | 'release-feed' | 'none';
  versionInfo: VersionInfoView | null;
  /** a newer version than the running one is recommended */
  upgradeRecommended: boolean;
  /** why there is no versionInfo (e.g. the server does not fill it yet) or the feed could not be read */
  message?: string;
}

export interface ChildrenResponse {
  /** DescribeWorkflowExecution's pendingChildren, then closed/running children found by List (ParentWorkflowId) */
  children: ChildWorkflow[];
  /** why List could not be asked (e.g. UNIMPLEMENTED): only pending children are shown */
  listMessage?: string;
}

// ---------------------------------------------------------------- schedules
/** One action a schedule took: the run it started. */
export interface ScheduleAction {
  /** when it was due (nominal time plus jitter) */
  scheduleTime: string | null;
  /** when the run actually started */
  actualTime: string | null;
  workflowId: string;
  runId: string;
  /** the run's status as the schedule last saw it ("Running", "Completed", ...) */
  status: string;
}

export interface ScheduleSummary {
  scheduleId: string;
  workflowType: string;
  paused: boolean;
  notes: string;
  /** the spec in readable JSON (ScheduleSpec) */
  spec: Json;
  recentActions: ScheduleAction[];
  nextActionTimes: string[];
}

export interface ScheduleListResponse {
  schedules: ScheduleSummary[];
  nextPageToken: string | null;
}

export interface ScheduleDetails {
  scheduleId: string;
  spec: Json;
  action: { workflowType: string; workflowId: string; taskQueue: string; input: Json };
  policies: { overlapPolicy: string; catchupWindow: string | null; pauseOnFailure: boolean };
  state: { paused: boolean; notes: string; limitedActions: boolean; remainingActions: number };
  info: {
    actionCount: number;
    missedCatchupWindow: number;
    overlapSkipped: number;
    bufferDropped: number;
    runningWorkflows: { workflowId: string; runId: string }[];
    recentActions: ScheduleAction[];
    futureActionTimes: string[];
    createTime: string | null;
    updateTime: string | null;
  };
  memo: Json;
  searchAttributes: Json;
  /** DescribeScheduleResponse as readable JSON */
  raw: Json;
}
