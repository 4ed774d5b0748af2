/** What the frontend's handlers are built with (given once, by the composition root in src/server). */
import type { Logger } from '../common/logger';
import type { HistoryService, Limits } from '../history';
import type { MatchingService } from '../matching';
import type { NamespaceRegistry } from '../namespace';
import type { VersionInfo } from '../upgrade/release-feed';
import type { VisibilityService } from '../visibility';
import type { Interceptor } from './rpc';

/** What GetSystemInfo / GetClusterInfo report about this cluster. */
export interface ClusterDescription {
  clusterName: string;
  /** the cluster's id (a UUID recorded when the cluster was created) */
  clusterId: string;
  numHistoryShards: number;
  serverVersion: string;
  persistenceStore: string;
  visibilityStore: string;
  /** The release feed's answer (GetClusterInfo.versionInfo); undefined without a feed. */
  versionInfo?: () => VersionInfo | undefined;
}

export interface FrontendDeps {
  history: HistoryService;
  matching: Pick<MatchingService, 'pollWorkflowTask' | 'pollActivityTask' | 'pollStickyQueue' | 'describeTaskQueue'>;
  namespaces: NamespaceRegistry;
  /** undefined: the server runs without a visibility store (List/Count and search attributes answer FAILED_PRECONDITION) */
  visibility: VisibilityService | undefined;
  /** size limits (a live object: changes apply to the next request) */
  limits: Limits;
  cluster: ClusterDescription;
  /** run around every call of both services, first to last, before validation (issue 13: TLS identity, JWT authorization) */
  interceptors?: readonly Interceptor[];
  log: Logger;
}
