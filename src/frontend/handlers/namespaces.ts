/** The namespace RPCs: Register / Describe / List / Update / Deprecate, over the namespace registry. */
import { NotFoundError } from '../../common/errors';
import { durationMs, temporal, type IDuration } from '../../common/proto';
import { retentionOf, type NamespaceChanges, type NamespaceInfo, type NamespaceRegistry } from '../../namespace';
import { namespaceStateOf } from '../namespace-state';
import type { WorkflowHandlers } from '../rpc';

const E = temporal.api.enums.v1;

const NS_STATE_ENUM = {
  registered: E.NamespaceState.NAMESPACE_STATE_REGISTERED,
  deprecated: E.NamespaceState.NAMESPACE_STATE_DEPRECATED,
  deleted: E.NamespaceState.NAMESPACE_STATE_DELETED,
};

function namespaceChanges(
  info: { description?: string | null; ownerEmail?: string | null; data?: { [k: string]: string } | null; state?: unknown } | null | undefined,
  retention: IDuration | null | undefined,
): NamespaceChanges {
  const c: NamespaceChanges = {};
  if (info?.description) c.description = info.description;
  if (info?.ownerEmail) c.ownerEmail = info.ownerEmail;
  if (info?.data && Object.keys(info.data).length > 0) c.data = { ...info.data };
  const state = namespaceStateOf(info?.state);
  if (state) c.state = state;
  if (retention) c.retentionMs = durationMs(retention);
  return c;
}

function namespaceDescription(ns: NamespaceInfo, clusterName: string) {
  const retention = retentionOf(ns);
  return {
    namespaceInfo: {
      name: ns.name,
      id: ns.id,
      state: NS_STATE_ENUM[ns.state ?? 'registered'],
      description: ns.description,
      ownerEmail: ns.ownerEmail,
      data: ns.data ?? {},
      capabilities: { eagerWorkflowStart: false, syncUpdate: true, asyncUpdate: true },
    },
    config: {
      workflowExecutionRetentionTtl: { seconds: Math.floor(retention / 1000), nanos: (retention % 1000) * 1e6 },
      historyArchivalState: E.ArchivalState.ARCHIVAL_STATE_DISABLED,
      visibilityArchivalState: E.ArchivalState.ARCHIVAL_STATE_DISABLED,
    },
    replicationConfig: { activeClusterName: clusterName, clusters: [{ clusterName }] },
    isGlobalNamespace: false,
  };
}

export function namespaceHandlers(namespaces: NamespaceRegistry, clusterName: string) {
  return {
    async DescribeNamespace(req) {
      const ns = req.namespace ? await namespaces.resolve(req.namespace) : (await namespaces.list()).find((n) => n.id === req.id);
      if (!ns) throw new NotFoundError(`namespace id ${req.id} not found`);
      return namespaceDescription(ns, clusterName);
    },
    async ListNamespaces(req) {
      let all = await namespaces.list();
      if (!req.namespaceFilter?.includeDeleted) all = all.filter((n) => n.state !== 'deleted');
      const size = req.pageSize && req.pageSize > 0 ? req.pageSize : 100;
      const from = req.nextPageToken && req.nextPageToken.length > 0 ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
      const page = all.slice(from, from + size);
      const more = from + size < all.length;
      return {
        namespaces: page.map((ns) => namespaceDescription(ns, clusterName)),
        nextPageToken: more ? Buffer.from(String(from + size), 'utf8') : undefined,
      };
    },
    async RegisterNamespace(req) {
      const c = namespaceChanges(req, undefined);
      if (req.workflowExecutionRetentionPeriod) c.retentionMs = durationMs(req.workflowExecutionRetentionPeriod);
      await namespaces.register(req.namespace!, c);
      return {};
    },
    async UpdateNamespace(req) {
      const ns = await namespaces.update(req.namespace!, namespaceChanges(req.updateInfo, req.config?.workflowExecutionRetentionTtl));
      return { ...namespaceDescription(ns, clusterName), isGlobalNamespace: false };
    },
    async DeprecateNamespace(req) {
      await namespaces.update(req.namespace!, { state: 'deprecated' });
      return {};
    },
  } satisfies WorkflowHandlers;
}
