/**
 * The visibility service: what history writes (one plain record per run, from its visibility
 * queue) and what the frontend asks (List / Count / Scan, search attribute administration and
 * checks). It knows nothing of history's mutable state: history hands it an ExecutionSnapshot.
 * Implemented by VisibilityManager over one VisibilityStore per plugin.
 */
import type { IPayload } from '../common/proto';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { VisibilityManager, type ListResult } from './manager';
import { openVisibilityStore } from './open';
import type { Query } from './query/parser';

import type { ExecutionSnapshot, OpenOrClosedFilter, SearchAttributeListing } from './types';

export { mergeIndexedFields } from './search-attributes';
export type { ListResult } from './manager';
export type { ExecutionSnapshot, OpenOrClosedFilter, SearchAttributeListing } from './types';

/** The part history uses: its visibility queue writes records, retention deletes them. */
export interface VisibilityWriter {
  /** Insert or replace the run's row (idempotent: a re-run task writes the same row). */
  recordExecution(e: ExecutionSnapshot): Promise<void>;
  deleteExecution(namespaceId: string, runId: string): Promise<void>;
  /** Why the search attributes a workflow sets are refused in the namespace; undefined when they are fine. */
  searchAttributeProblem(namespaceId: string, fields: Record<string, IPayload> | null | undefined): Promise<string | undefined>;
}

export interface VisibilityService extends VisibilityWriter {
  list(namespaceId: string, query: string | Query, pageSize: number, token: Uint8Array | null | undefined): Promise<ListResult>;
  count(namespaceId: string, query: string): Promise<{ count: number; groups: { groupValues: object[]; count: number }[] }>;
  listOpenOrClosed(namespaceId: string, closed: boolean, filter: OpenOrClosedFilter): Promise<ListResult>;
  listAttributes(namespaceId: string): Promise<SearchAttributeListing>;
  /** `requested`: name -> enums.v1.IndexedValueType */
  addAttributes(namespaceId: string, namespaceName: string, requested: Record<string, number>): Promise<void>;
  removeAttributes(namespaceId: string, namespaceName: string, names: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens the visibility store of `cfg` (its tables must exist) and the service over it. */
export async function openVisibilityService(cfg: SqlConnectConfig): Promise<VisibilityService> {
  return new VisibilityManager(await openVisibilityStore(cfg));
}
