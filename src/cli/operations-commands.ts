/**
 * The operations commands of Temporal's `temporal` CLI this server serves, with its flags:
 * `workflow reset` (to an event id, or the first / last workflow task) and `workflow delete`,
 * `task-queue describe` (pollers and backlog), `activity complete|fail|pause|unpause` (by workflow and activity id)
 * and `operator namespace delete`. Registered onto the `workflow` and `operator namespace` groups the
 * other modules create, and as the new `task-queue` and `activity` groups.
 */
import { randomUUID } from 'node:crypto';
import { type Command, Option } from 'commander';
import { temporal } from '../common/proto';
import { addClientOptions, flagsOf, withClient, type CliContext } from './client-context';
import { CliError } from './output';
import { jsonPayload, parseJsonFlag, timestampText, toNumber } from './proto-json';

import enums = temporal.api.enums.v1;

interface ExecFlags {
  workflowId: string;
  runId?: string;
}

function action<T extends object>(cmd: Command, fn: (ctx: CliContext, o: T, self: Command) => Promise<void>): Command {
  return cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const o = flagsOf<T>(self);
    await withClient(o, (ctx) => fn(ctx, o, self));
  });
}

const execOptions = (cmd: Command, runHelp = 'run ID (default: the latest run)') =>
  cmd.requiredOption('-w, --workflow-id <id>', 'workflow ID').option('-r, --run-id <id>', runHelp);

const group = (parent: Command, name: string): Command => {
  const c = parent.commands.find((x) => x.name() === name);
  if (!c) throw new Error(`the ${name} command group is registered before the operations commands`);
  return c;
};

// ---------------------------------------------------------------- workflow reset / delete

const RESET_TYPES = ['FirstWorkflowTask', 'LastWorkflowTask'] as const;
const REAPPLY_TYPES = ['All', 'Signal', 'None'] as const;
const REAPPLY_EXCLUDE = ['All', 'Signal', 'Update'] as const;

interface ResetFlags extends ExecFlags {
  eventId?: string;
  type?: (typeof RESET_TYPES)[number];
  reason: string;
  reapplyType?: (typeof REAPPLY_TYPES)[number];
  reapplyExclude?: (typeof REAPPLY_EXCLUDE)[number][];
}

/** The event id a reset type stands for: the first or last WorkflowTaskCompleted of the run. */
async function resetPoint(ctx: CliContext, ex: { workflowId: string; runId: string }, type: ResetFlags['type']): Promise<number> {
  const ids: number[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await ctx.workflow('getWorkflowExecutionHistory', { namespace: ctx.namespace, execution: ex, maximumPageSize: 1000, nextPageToken });
    for (const e of res.history?.events ?? []) if (e.eventType === enums.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) ids.push(toNumber(e.eventId));
    nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
  } while (nextPageToken);
  const id = type === 'FirstWorkflowTask' ? ids[0] : ids[ids.length - 1];
  if (id === undefined) throw new CliError(`workflow ${ex.workflowId} has no completed workflow task to reset to`);
  return id;
}

function registerWorkflowOperations(wf: Command): void {
  action(
    execOptions(
      wf.command('reset').description('reset a workflow execution to a workflow task: a new run replays history up to it (the current run is terminated)'),
    )
      .option('-e, --event-id <id>', 'the WorkflowTaskCompleted (or Failed, TimedOut, Started) event to reset to')
      .addOption(new Option('-t, --type <type>', 'reset to this point instead of --event-id').choices(RESET_TYPES))
      .requiredOption('--reason <reason>', 'why (recorded in the new run and the terminated one)')
      .addOption(new Option('--reapply-type <type>', 'events after the point to apply again (deprecated: use --reapply-exclude)').choices(REAPPLY_TYPES))
      .addOption(
        new Option('--reapply-exclude <type>', 'events after the point NOT to apply again; repeatable').choices(REAPPLY_EXCLUDE).argParser(collectChoice),
      ),
    async (ctx, o: ResetFlags) => {
      if ((o.eventId === undefined) === (o.type === undefined))
        throw new CliError('give exactly one of --event-id and --type (FirstWorkflowTask, LastWorkflowTask)');
      const ex = { workflowId: o.workflowId, runId: o.runId ?? '' };
      let eventId: number;
      if (o.eventId !== undefined) {
        eventId = Number(o.eventId);
        if (!Number.isInteger(eventId) || eventId < 2)
          throw new CliError(`--event-id "${o.eventId}" must be the id of a workflow task event (a whole number of at least 2)`);
      } else eventId = await resetPoint(ctx, ex, o.type);
      const exclude = o.reapplyExclude ?? [];
      const res = await ctx.workflow('resetWorkflowExecution', {
        namespace: ctx.namespace,
        workflowExecution: ex,
        reason: o.reason,
        workflowTaskFinishEventId: eventId as never,
        requestId: randomUUID(),
        resetReapplyType: o.reapplyType
          ? {
              All: enums.ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
              Signal: enums.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL,
              None: enums.ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
            }[o.reapplyType]
          : undefined,
        resetReapplyExcludeTypes: exclude.flatMap((t) =>
          t === 'All'
            ? [enums.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL, enums.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE]
            : [
                t === 'Signal'
                  ? enums.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL
                  : enums.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
              ],
        ),
        identity: ctx.identity,
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, eventId, runId: res.runId });
      else {
        ctx.out.heading('Workflow reset:');
        ctx.out.fields([
          ['WorkflowId', o.workflowId],
          ['EventId', String(eventId)],
          ['RunId', res.runId ?? ''],
        ]);
      }
    },
  );

  action(
    execOptions(wf.command('delete').description('delete a workflow execution and its history (a running one is terminated first)')),
    async (ctx, o: ExecFlags) => {
      await ctx.workflow('deleteWorkflowExecution', { namespace: ctx.namespace, workflowExecution: { workflowId: o.workflowId, runId: o.runId ?? '' } });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, runId: o.runId ?? '', deleted: true });
      else ctx.out.line('Delete workflow succeeded');
    },
  );
}

function collectChoice(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

// ---------------------------------------------------------------- task-queue describe

const TQ_TYPES = { workflow: enums.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, activity: enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY } as const;

function registerTaskQueueCommands(program: Command): void {
  const tq = addClientOptions(program.command('task-queue').description('inspect task queues'));
  action(
    tq
      .command('describe')
      .description('show the pollers of a task queue (identity, last access time) and its backlog')
      .requiredOption('-t, --task-queue <name>', 'task queue name')
      .addOption(new Option('--task-queue-type <type>', 'task queue type; repeatable (default: both)').choices(Object.keys(TQ_TYPES)).argParser(collectChoice)),
    async (ctx, o: { taskQueue: string; taskQueueType?: (keyof typeof TQ_TYPES)[] }) => {
      const types = o.taskQueueType && o.taskQueueType.length > 0 ? [...new Set(o.taskQueueType)] : (['workflow', 'activity'] as const);
      const rows: { type: string; identity: string; lastAccessTime: string; ratePerSecond: number }[] = [];
      const stats: { type: string; approximateBacklogCount: number }[] = [];
      for (const t of types) {
        const d = await ctx.workflow('describeTaskQueue', {
          namespace: ctx.namespace,
          taskQueue: { name: o.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TQ_TYPES[t],
          reportStats: true,
        });
        for (const p of d.pollers ?? [])
          rows.push({ type: t, identity: p.identity ?? '', lastAccessTime: timestampText(p.lastAccessTime), ratePerSecond: p.ratePerSecond ?? 0 });
        stats.push({ type: t, approximateBacklogCount: toNumber(d.stats?.approximateBacklogCount) });
      }
      if (ctx.out.json) {
        ctx.out.printJson({ taskQueue: o.taskQueue, pollers: rows, stats });
        return;
      }
      ctx.out.heading('Pollers:');
      if (rows.length === 0) ctx.out.line('  (none in the last 5 minutes)');
      else
        ctx.out.table(
          ['TaskQueueType', 'Identity', 'LastAccessTime', 'RatePerSecond'],
          rows.map((r) => [r.type, r.identity, r.lastAccessTime, String(r.ratePerSecond)]),
        );
      ctx.out.line();
      ctx.out.heading('Task queue statistics:');
      ctx.out.table(
        ['TaskQueueType', 'ApproximateBacklogCount'],
        stats.map((s) => [s.type, String(s.approximateBacklogCount)]),
      );
    },
  );
}

// ---------------------------------------------------------------- activity complete / fail

interface ActivityFlags extends ExecFlags {
  activityId: string;
}

function registerActivityCommands(program: Command): void {
  const act = addClientOptions(program.command('activity').description('complete, fail, pause and unpause activities by workflow and activity id'));
  registerPauseCommands(act);
  const opts = (cmd: Command) => execOptions(cmd, 'run ID (default: the running execution)').requiredOption('--activity-id <id>', 'activity ID');
  action(
    opts(act.command('complete').description('complete an activity with a result (its worker, if any, is no longer heard)')).requiredOption(
      '--result <json>',
      'the result as JSON',
    ),
    async (ctx, o: ActivityFlags & { result: string }) => {
      const result = parseJsonFlag('--result', o.result);
      await ctx.workflow('respondActivityTaskCompletedById', {
        namespace: ctx.namespace,
        workflowId: o.workflowId,
        runId: o.runId ?? '',
        activityId: o.activityId,
        result: { payloads: [jsonPayload(result)] },
        identity: ctx.identity,
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, activityId: o.activityId, completed: true });
      else ctx.out.line(`Activity ${o.activityId} completed`);
    },
  );
  action(
    opts(act.command('fail').description('fail an activity (its retry policy decides whether it runs again)'))
      .option('--reason <reason>', 'failure message', 'Failed by the temporal-ts CLI')
      .option('--detail <json>', 'failure details as JSON'),
    async (ctx, o: ActivityFlags & { reason: string; detail?: string }) => {
      const details = o.detail !== undefined ? { payloads: [jsonPayload(parseJsonFlag('--detail', o.detail))] } : undefined;
      await ctx.workflow('respondActivityTaskFailedById', {
        namespace: ctx.namespace,
        workflowId: o.workflowId,
        runId: o.runId ?? '',
        activityId: o.activityId,
        failure: { message: o.reason, source: 'temporal-ts CLI', applicationFailureInfo: { type: 'CliFailure', details } },
        identity: ctx.identity,
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, activityId: o.activityId, failed: true, reason: o.reason });
      else ctx.out.line(`Activity ${o.activityId} failed`);
    },
  );
}

interface PauseFlags extends ExecFlags {
  activityId?: string;
  activityType?: string;
  matchAll?: boolean;
  resetAttempts?: boolean;
}

/** --activity-id or --activity-type (or --match-all where allowed): exactly one. */
function selector(o: PauseFlags, allowAll: boolean): { id?: string; type?: string; unpauseAll?: boolean } {
  const n = [o.activityId, o.activityType, o.matchAll ? 'all' : undefined].filter((v) => v !== undefined).length;
  if (n !== 1) throw new CliError(`name the activity: exactly one of --activity-id${allowAll ? ', --activity-type or --match-all' : ' or --activity-type'}`);
  return { id: o.activityId, type: o.activityType, unpauseAll: o.matchAll };
}

function registerPauseCommands(act: Command): void {
  const exec = (cmd: Command) =>
    execOptions(cmd, 'run ID (default: the running execution)')
      .option('-a, --activity-id <id>', 'the activity ID')
      .option('--activity-type <type>', 'every pending activity of this type');
  action(
    exec(act.command('pause').description('pause activities: no new attempt runs until unpaused (a running attempt goes on)')),
    async (ctx, o: PauseFlags) => {
      const sel = selector(o, false);
      await ctx.workflow('pauseActivity', {
        namespace: ctx.namespace,
        execution: { workflowId: o.workflowId, runId: o.runId ?? '' },
        ...sel,
        identity: ctx.identity,
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, ...sel, paused: true });
      else ctx.out.line(`Activity ${o.activityId ?? `type ${o.activityType ?? ''}`} paused`);
    },
  );
  action(
    exec(act.command('unpause').description('unpause activities: the waiting attempt runs at once'))
      .option('--match-all', 'every paused activity of the workflow')
      .option('--reset-attempts', 'start again from attempt 1'),
    async (ctx, o: PauseFlags) => {
      const sel = selector(o, true);
      await ctx.workflow('unpauseActivity', {
        namespace: ctx.namespace,
        execution: { workflowId: o.workflowId, runId: o.runId ?? '' },
        ...sel,
        resetAttempts: !!o.resetAttempts,
        identity: ctx.identity,
      });
      if (ctx.out.json) ctx.out.printJson({ workflowId: o.workflowId, ...sel, unpaused: true });
      else ctx.out.line(o.matchAll ? 'Activities unpaused' : `Activity ${o.activityId ?? `type ${o.activityType ?? ''}`} unpaused`);
    },
  );
}

// ---------------------------------------------------------------- operator namespace delete

function registerNamespaceDelete(operator: Command): void {
  const ns = group(operator, 'namespace');
  action(
    ns
      .command('delete')
      .argument('[namespace]', 'namespace to delete (or --namespace)')
      .description('delete a namespace and every workflow in it (it is renamed at once and its workflows removed in the background)')
      .option('-y, --yes', 'confirm: deleting a namespace deletes all its workflows'),
    async (ctx, o: { yes?: boolean }, self) => {
      const name = self.args[0] ?? (self.getOptionValueSourceWithGlobals('namespace') === 'default' ? undefined : ctx.namespace);
      if (!name) throw new CliError('name the namespace to delete: temporal-ts operator namespace delete NAME --yes (or --namespace NAME)');
      if (!o.yes) throw new CliError(`deleting namespace ${name} deletes all its workflows: pass --yes to confirm`);
      const res = await ctx.operator('deleteNamespace', { namespace: name });
      if (ctx.out.json) ctx.out.printJson({ namespace: name, deletedNamespace: res.deletedNamespace });
      else ctx.out.line(`Namespace ${name} has been deleted (renamed ${res.deletedNamespace ?? ''}; its workflows are removed in the background)`);
    },
  );
}

export function registerOperationsCommands(program: Command): void {
  registerWorkflowOperations(group(program, 'workflow'));
  registerTaskQueueCommands(program);
  registerActivityCommands(program);
  registerNamespaceDelete(group(program, 'operator'));
}
