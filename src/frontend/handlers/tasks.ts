/**
 * The worker RPCs: polls (to matching), workflow / activity / query task responses and heartbeats
 * (to history, addressed by the task token), ShutdownWorker.
 */
import { InvalidArgumentError } from '../../common/errors';
import { temporal } from '../../common/proto';
import type { FrontendDeps } from '../deps';
import type { WorkflowHandlers } from '../rpc';
import { withLongPollSignal } from '../long-poll';
import { activityTaskToken, queryTaskId, workflowTaskToken } from '../validators/fields';

export function taskHandlers(d: FrontendDeps) {
  const { history, matching, namespaces } = d;
  return {
    async PollWorkflowTaskQueue(req, ctx) {
      const ns = await namespaces.resolve(req.namespace);
      const tq = req.taskQueue!;
      if (tq.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY) {
        return withLongPollSignal(ctx, (signal) => matching.pollStickyQueue(ns.id, tq.name!, tq.normalName ?? '', req.identity ?? '', signal));
      }
      return withLongPollSignal(ctx, (signal) => matching.pollWorkflowTask(ns.id, tq.name!, req.identity ?? '', signal));
    },
    async PollActivityTaskQueue(req, ctx) {
      const ns = await namespaces.resolve(req.namespace);
      return withLongPollSignal(ctx, (signal) => matching.pollActivityTask(ns.id, req.taskQueue!.name!, req.identity ?? '', signal));
    },
    async RespondWorkflowTaskCompleted(req) {
      const out = await history.respondWorkflowTaskCompleted(workflowTaskToken(req.taskToken), req);
      if (out.failedWith) throw new InvalidArgumentError('commands', out.failedWith.message);
      return { activityTasks: out.activityTasks ?? [] };
    },
    async RespondWorkflowTaskFailed(req) {
      await history.respondWorkflowTaskFailed(workflowTaskToken(req.taskToken), req);
      return {};
    },
    async RecordActivityTaskHeartbeat(req) {
      return history.heartbeat(activityTaskToken(req.taskToken), req.details);
    },
    async RespondActivityTaskCompleted(req) {
      await history.activityCompleted(activityTaskToken(req.taskToken), req.result, req.identity ?? '');
      return {};
    },
    async RespondActivityTaskFailed(req) {
      await history.activityFailed(activityTaskToken(req.taskToken), req.failure, req.lastHeartbeatDetails, req.identity ?? '');
      return {};
    },
    async RespondActivityTaskCanceled(req) {
      await history.activityCanceled(activityTaskToken(req.taskToken), req.details, req.identity ?? '');
      return {};
    },
    async RespondQueryTaskCompleted(req) {
      history.respondQuery(queryTaskId(req.taskToken), req);
      return {};
    },
    async ShutdownWorker() {
      // sticky queues are in memory and forgotten once no poller comes back: nothing to release
      return {};
    },
  } satisfies WorkflowHandlers;
}
