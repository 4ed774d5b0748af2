/**
 * What DeleteNamespace does after the namespace is renamed `<name>-deleted-<xxxxx>` and marked
 * deleted (namespace/registry.ts markDeleted): every execution the visibility store lists for it is
 * deleted through history (a running one terminated first), then the namespace row goes. Temporal
 * runs this as a system workflow; here it runs in the background of the process that took the call,
 * a page at a time. A stop or crash midway leaves the namespace marked deleted with some executions:
 * closed ones go with retention, the rest stay until DeleteNamespace's reclamation is run again
 * (`reclaimNamespace` on the renamed namespace).
 */
import { NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { HistoryService } from '../history';
import type { NamespaceInfo, NamespaceRegistry } from '../namespace';
import type { VisibilityService } from '../visibility';

const PAGE = 200;

export async function reclaimNamespace(
  ns: NamespaceInfo,
  deps: { history: HistoryService; visibility: VisibilityService; namespaces: NamespaceRegistry; log: Logger },
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await deps.visibility.list(ns.id, '', PAGE, undefined);
    if (page.executions.length === 0) break;
    for (const e of page.executions) {
      const workflowId = e.execution?.workflowId ?? '';
      const runId = e.execution?.runId ?? '';
      try {
        await deps.history.deleteWorkflow(ns.id, { workflowId, runId }, 'namespace-deletion');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        await deps.visibility.deleteExecution(ns.id, runId); // the run is gone already: only its record was left
      }
      deleted++;
    }
  }
  await deps.namespaces.remove(ns);
  deps.log.info({ namespace: ns.name, executions: deleted }, 'namespace deleted');
  return deleted;
}
