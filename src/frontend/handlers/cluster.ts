/** GetSystemInfo and GetClusterInfo: what this server is and can do, and the release feed's notice. */
import { msToTimestamp } from '../../common/proto';
import type { VersionInfo } from '../../upgrade/release-feed';
import type { ClusterDescription } from '../deps';
import type { WorkflowHandlers } from '../rpc';

const SEVERITY = { high: 'SEVERITY_HIGH', medium: 'SEVERITY_MEDIUM', low: 'SEVERITY_LOW' } as const;

function releaseInfo(r: VersionInfo['current']) {
  // ReleaseInfo has one notes field: the notes' URL when the feed gives one (the UI links it), else the text.
  return { version: r.version, releaseTime: r.releaseTimeMs !== undefined ? msToTimestamp(r.releaseTimeMs) : undefined, notes: r.notesUrl ?? r.notes ?? '' };
}

/** temporal.api.version.v1.VersionInfo from the release feed's answer. */
export function versionInfoProto(v: VersionInfo) {
  return {
    current: releaseInfo(v.current),
    recommended: releaseInfo(v.recommended),
    instructions: v.instructions,
    // fromObject takes enum names
    alerts: v.alerts.map((a) => ({ message: a.message, severity: SEVERITY[a.severity] as never })),
    lastUpdateTime: msToTimestamp(v.lastUpdateTimeMs),
  };
}

export function clusterHandlers(c: ClusterDescription) {
  return {
    async GetSystemInfo() {
      return {
        serverVersion: c.serverVersion,
        capabilities: {
          signalAndQueryHeader: true,
          internalErrorDifferentiation: true,
          encodedFailureAttributes: true,
          upsertMemo: true,
          sdkMetadata: true,
          activityFailureIncludeHeartbeat: true,
          eagerWorkflowStart: false,
          buildIdBasedVersioning: false,
          supportsSchedules: false,
          nexus: false,
        },
      };
    },
    async GetClusterInfo() {
      const v = c.versionInfo?.();
      return {
        supportedClients: {},
        serverVersion: c.serverVersion,
        clusterId: c.clusterId,
        clusterName: c.clusterName,
        historyShardCount: c.numHistoryShards,
        persistenceStore: c.persistenceStore,
        visibilityStore: c.visibilityStore,
        versionInfo: v ? versionInfoProto(v) : undefined,
      };
    },
  } satisfies WorkflowHandlers;
}
