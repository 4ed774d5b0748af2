/**
 * RecordActivityTaskHeartbeatById and RespondActivityTaskCompleted/Failed/CanceledById: the activity
 * named by workflow id, run id (empty: the current run) and activity id; history turns that into the
 * current attempt's task token and the call is then the token-addressed one (history/api/activity-by-id.ts).
 * And PauseActivity / UnpauseActivity, which name activities the same way (by id or type).
 */
import type { FrontendDeps } from '../deps';
import { executionOf } from './workflows';
import type { WorkflowHandlers } from '../rpc';

export function activityByIdHandlers(d: FrontendDeps) {
  const { history, namespaces } = d;
  const token = async (
    req: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null; identity?: string | null },
    startIfScheduled: boolean,
  ) => {
    const ns = await namespaces.resolve(req.namespace);
    const ex = { workflowId: req.workflowId ?? '', runId: req.runId ?? '' };
    return history.activityTokenById(ns.id, ex, req.activityId ?? '', startIfScheduled ? { identity: req.identity ?? '' } : undefined);
  };
  return {
    async RecordActivityTaskHeartbeatById(req) {
      return history.heartbeat(await token(req, false), req.details);
    },
    async RespondActivityTaskCompletedById(req) {
      await history.activityCompleted(await token(req, true), req.result, req.identity ?? '');
      return {};
    },
    async RespondActivityTaskFailedById(req) {
      await history.activityFailed(await token(req, true), req.failure, req.lastHeartbeatDetails, req.identity ?? '');
      return {};
    },
    async PauseActivity(req) {
      const ns = await namespaces.resolve(req.namespace);
      await history.pauseActivity(ns.id, executionOf(req.execution), { id: req.id || undefined, type: req.type || undefined });
      return {};
    },
    async UnpauseActivity(req) {
      const ns = await namespaces.resolve(req.namespace);
      const sel = { id: req.id || undefined, type: req.type || undefined, all: !!req.unpauseAll };
      await history.unpauseActivity(ns.id, executionOf(req.execution), sel, !!req.resetAttempts);
      return {};
    },
    async RespondActivityTaskCanceledById(req) {
      await history.activityCanceled(await token(req, true), req.details, req.identity ?? '');
      return {};
    },
  } satisfies WorkflowHandlers;
}
