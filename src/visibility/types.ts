/** The plain records that cross the visibility service's interface (index.ts). */

/** A run as history sees it at one moment: what its visibility row is rebuilt from. */
export interface ExecutionSnapshot {
  namespaceId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  /** temporal.api.enums.v1.WorkflowExecutionStatus */
  status: number;
  startTimeMs: number;
  executionTimeMs: number;
  /** null while the run is open */
  closeTimeMs: number | null;
  historyLength: number;
  historySizeBytes: number;
  /** temporal.api.common.v1.Memo, proto3 bytes */
  memo: Buffer | null;
  /** temporal.api.common.v1.SearchAttributes, proto3 bytes */
  searchAttributes: Buffer | null;
}

/** The listing filters of ListOpen/ListClosedWorkflowExecutions. */
export interface OpenOrClosedFilter {
  maximumPageSize?: number | null;
  nextPageToken?: Uint8Array | null;
  startTimeFilter?: { earliestTime?: object | null; latestTime?: object | null } | null;
  executionFilter?: { workflowId?: string | null; runId?: string | null } | null;
  typeFilter?: { name?: string | null } | null;
  statusFilter?: { status?: number | null } | null;
}

export interface SearchAttributeListing {
  customAttributes: Record<string, number>;
  systemAttributes: Record<string, number>;
  storageSchema: Record<string, string>;
}
