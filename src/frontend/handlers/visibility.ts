/**
 * The visibility RPCs of WorkflowService: List / Scan / Count / ListOpen / ListClosed and the
 * deprecated GetSearchAttributes, over the visibility service.
 */
import { FailedPreconditionError } from '../../common/errors';
import type { NamespaceRegistry } from '../../namespace';
import type { VisibilityService } from '../../visibility';
import type { WorkflowHandlers } from '../rpc';

export function visibilityHandlers(visibility: VisibilityService | undefined, namespaces: NamespaceRegistry) {
  const vis = (): VisibilityService => {
    if (!visibility)
      throw new FailedPreconditionError('this server runs without a visibility store: configure persistence.visibilityStore to list and count workflows');
    return visibility;
  };
  return {
    async ListWorkflowExecutions(req) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().list(ns.id, req.query ?? '', req.pageSize ?? 0, req.nextPageToken);
    },
    async ScanWorkflowExecutions(req) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().list(ns.id, req.query ?? '', req.pageSize ?? 0, req.nextPageToken);
    },
    async CountWorkflowExecutions(req) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().count(ns.id, req.query ?? '');
    },
    async ListOpenWorkflowExecutions(req) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().listOpenOrClosed(ns.id, false, req);
    },
    async ListClosedWorkflowExecutions(req) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().listOpenOrClosed(ns.id, true, req);
    },
    async GetSearchAttributes() {
      // namespace-less (deprecated) API: the system attributes
      const { systemAttributes } = await vis().listAttributes('');
      return { keys: systemAttributes };
    },
  } satisfies WorkflowHandlers;
}
