/**
 * OperatorService DeleteNamespace and ListClusters. DeleteNamespace renames and marks the namespace
 * deleted at once (its name is free again, calls naming it fail NotFound) and reclaims its executions
 * in the background (../namespace-deletion.ts). ListClusters lists this one cluster: this server has no
 * multi-cluster replication.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors';
import { durationMs } from '../../common/proto';
import type { FrontendDeps } from '../deps';
import { reclaimNamespace } from '../namespace-deletion';
import type { OperatorHandlers } from '../rpc';

const SYSTEM_NAMESPACE = 'temporal-system';

export function operatorAdminHandlers(d: FrontendDeps) {
  return {
    async DeleteNamespace(req) {
      const visibility = d.visibility;
      if (!visibility) {
        throw new FailedPreconditionError("DeleteNamespace needs a visibility store to find the namespace's executions (persistence.visibilityStore)");
      }
      if (durationMs(req.namespaceDeleteDelay) > 0) {
        throw new InvalidArgumentError('namespaceDeleteDelay', 'is not supported by this server: omit it (the namespace is deleted at once)');
      }
      const name = req.namespace || (req.namespaceId ? (await d.namespaces.byIdOrUndefined(req.namespaceId))?.name : undefined);
      if (!name) throw new InvalidArgumentError('namespace', req.namespaceId ? `no namespace has id ${req.namespaceId}` : 'is required');
      if (name === SYSTEM_NAMESPACE) throw new InvalidArgumentError('namespace', `${SYSTEM_NAMESPACE} is the system namespace and cannot be deleted`);
      const renamed = await d.namespaces.markDeleted(name);
      void reclaimNamespace(renamed, { history: d.history, visibility, namespaces: d.namespaces, log: d.log }).catch((err: unknown) =>
        d.log.error({ err, namespace: renamed.name }, 'namespace deletion stopped; its remaining executions stay until it is run again'),
      );
      return { deletedNamespace: renamed.name };
    },
    async ListClusters() {
      const c = d.cluster;
      return {
        clusters: [
          {
            clusterName: c.clusterName,
            clusterId: c.clusterId,
            historyShardCount: c.numHistoryShards,
            initialFailoverVersion: 1,
            isConnectionEnabled: true,
            isReplicationEnabled: false,
          },
        ],
      };
    },
  } satisfies OperatorHandlers;
}
