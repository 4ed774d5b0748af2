/**
 * DescribeTaskQueue and ListTaskQueuePartitions. A task queue here is one partition served by one
 * process; its pollers are those this process served in the last five minutes (identity, last access
 * time), its backlog the durable tasks in the store. Both API modes answer: the legacy one (pollers,
 * taskQueueStatus, stats) and ENHANCED (versionsInfo of the unversioned queue, per task type).
 */
import { hostname } from 'node:os';
import { msToTimestamp, temporal } from '../../common/proto';
import type { TaskQueueDescription } from '../../matching';
import type { FrontendDeps } from '../deps';
import type { WorkflowHandlers } from '../rpc';

const TQT = temporal.api.enums.v1.TaskQueueType;
const ENHANCED = temporal.api.enums.v1.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED;

function pollersOf(desc: TaskQueueDescription) {
  return desc.pollers.map((p) => ({ identity: p.identity, lastAccessTime: msToTimestamp(p.lastAccessMs), ratePerSecond: 100_000 }));
}

function statsOf(desc: TaskQueueDescription) {
  return { approximateBacklogCount: desc.backlogCount, tasksAddRate: 0, tasksDispatchRate: 0 };
}

export function taskQueueHandlers(d: FrontendDeps) {
  const { matching, namespaces } = d;
  return {
    async DescribeTaskQueue(req) {
      const ns = await namespaces.resolve(req.namespace);
      const name = req.taskQueue!.name!;
      if (Number(req.apiMode ?? 0) === ENHANCED) {
        const types = (req.taskQueueTypes ?? []).map(Number);
        const wanted = types.length > 0 ? types : [TQT.TASK_QUEUE_TYPE_WORKFLOW, TQT.TASK_QUEUE_TYPE_ACTIVITY];
        const typesInfo: Record<number, object> = {};
        for (const t of wanted) {
          const desc = await matching.describeTaskQueue(ns.id, name, t);
          typesInfo[t] = { pollers: req.reportPollers ? pollersOf(desc) : [], stats: req.reportStats ? statsOf(desc) : undefined };
        }
        return { versionsInfo: { '': { typesInfo } } };
      }
      const type = Number(req.taskQueueType ?? 0) || TQT.TASK_QUEUE_TYPE_WORKFLOW;
      const desc = await matching.describeTaskQueue(ns.id, name, type);
      return {
        pollers: pollersOf(desc),
        stats: req.reportStats ? statsOf(desc) : undefined,
        taskQueueStatus: req.includeTaskQueueStatus ? { backlogCountHint: desc.backlogCount, ratePerSecond: 100_000 } : undefined,
      };
    },
    async ListTaskQueuePartitions(req) {
      await namespaces.resolve(req.namespace);
      // one partition per queue and type, served by the process that polls it
      const partition = [{ key: req.taskQueue!.name!, ownerHostName: hostname() }];
      return { workflowTaskQueuePartitions: partition, activityTaskQueuePartitions: partition };
    },
  } satisfies WorkflowHandlers;
}
