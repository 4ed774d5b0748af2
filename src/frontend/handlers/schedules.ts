/**
 * The schedule RPCs: Create / Describe / Update / Patch / Delete / ListScheduleMatchingTimes go to
 * history (the schedule is an execution of a history shard, see src/history/schedules); List and
 * Count go through visibility, over the rows whose TemporalNamespaceDivision is "TemporalScheduler"
 * (as Temporal), each listed schedule's entry read from history. Search attributes of the schedule
 * and of the workflows it starts are checked against the namespace's definitions here.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors';
import { timestampMs, type IPayload, type temporal } from '../../common/proto';
import { scheduleIdOf, SCHEDULER_NAMESPACE_DIVISION } from '../../history';
import type { VisibilityService } from '../../visibility';
import type { FrontendDeps } from '../deps';
import type { WorkflowHandlers } from '../rpc';

type ISchedule = temporal.api.schedule.v1.ISchedule;

/** The schedules of a namespace, narrowed by the client's List Filter query. */
export function schedulesQuery(query: string | null | undefined): string {
  const division = `TemporalNamespaceDivision = '${SCHEDULER_NAMESPACE_DIVISION}'`;
  return query && query.trim() !== '' ? `${division} AND (${query})` : division;
}

export function scheduleHandlers(d: FrontendDeps) {
  const { history, namespaces } = d;
  const vis = (): VisibilityService => {
    if (!d.visibility)
      throw new FailedPreconditionError('this server runs without a visibility store: configure persistence.visibilityStore to list schedules');
    return d.visibility;
  };
  const checkSearchAttributes = async (namespaceId: string, field: string, fields: Record<string, IPayload> | null | undefined): Promise<void> => {
    const problem = await d.visibility?.searchAttributeProblem(namespaceId, fields);
    if (problem) throw new InvalidArgumentError(field, problem);
  };
  const checkSchedule = async (namespaceId: string, schedule: unknown, searchAttributes: Record<string, IPayload> | null | undefined) => {
    const action = (schedule as ISchedule | null | undefined)?.action?.startWorkflow;
    await checkSearchAttributes(namespaceId, 'schedule.action.start_workflow.search_attributes', action?.searchAttributes?.indexedFields);
    await checkSearchAttributes(namespaceId, 'search_attributes', searchAttributes);
  };

  return {
    async CreateSchedule(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      await checkSchedule(ns.id, req.schedule, req.searchAttributes?.indexedFields);
      return history.createSchedule(ns, req as never);
    },
    async DescribeSchedule(req) {
      const ns = await namespaces.resolve(req.namespace);
      return history.describeSchedule(ns.id, req.scheduleId!) as never;
    },
    async UpdateSchedule(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      await checkSchedule(ns.id, req.schedule, req.searchAttributes?.indexedFields);
      await history.updateSchedule(ns.id, req as never);
      return {};
    },
    async PatchSchedule(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      await history.patchSchedule(ns.id, req.scheduleId!, req.patch as never);
      return {};
    },
    async DeleteSchedule(req) {
      const ns = await namespaces.resolveActive(req.namespace);
      await history.deleteSchedule(ns.id, req.scheduleId!);
      return {};
    },
    async ListScheduleMatchingTimes(req) {
      const ns = await namespaces.resolve(req.namespace);
      return history.listScheduleMatchingTimes(ns.id, req.scheduleId!, timestampMs(req.startTime as never), timestampMs(req.endTime as never)) as never;
    },
    async ListSchedules(req) {
      const ns = await namespaces.resolve(req.namespace);
      const page = await vis().list(ns.id, schedulesQuery(req.query), req.maximumPageSize ?? 0, req.nextPageToken);
      const schedules: temporal.api.schedule.v1.IScheduleListEntry[] = [];
      for (const e of page.executions) {
        const id = scheduleIdOf(e.execution?.workflowId ?? '');
        const entry = id === undefined ? undefined : await history.scheduleListEntry(ns.id, id);
        if (entry) schedules.push(entry);
      }
      return { schedules, nextPageToken: page.nextPageToken } as never;
    },
    async CountSchedules(req) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().count(ns.id, schedulesQuery(req.query)) as never;
    },
  } satisfies WorkflowHandlers;
}
