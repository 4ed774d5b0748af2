/**
 * `--worker raw`: a protocol-level worker that measures the server alone. It speaks WorkflowService
 * directly over the official client's gRPC connection (no SDK worker, no workflow sandbox, no
 * replay): a workflow task that has not yet seen its activity's result is answered with a prepared
 * ScheduleActivityTask, one that has is answered with CompleteWorkflowExecution carrying that result,
 * and an activity task is answered at once with its input as its result.
 *
 * It asks for eager activity dispatch (requestEagerExecution) and runs any activity task the server
 * returns with the workflow-task response, as the official worker does when it has free slots.
 *
 * Run as a child process: argv[2] = JSON {address, taskQueue, concurrency}; prints READY, then on
 * SIGTERM stops polling and prints one JSON line of counters.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { msToDuration } from '../../src/common/proto';

import ws = temporal.api.workflowservice.v1;
const EventType = temporal.api.enums.v1.EventType;
const CommandType = temporal.api.enums.v1.CommandType;

interface RawWorkerOptions {
  address: string;
  taskQueue: string;
  concurrency: number;
}

const IDENTITY = `raw-worker@${process.pid}`;

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]!) as RawWorkerOptions;
  const connection = await Connection.connect({ address: o.address });
  const svc = connection.workflowService;
  const namespace = 'default';
  const taskQueue = { name: o.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
  let stopping = false;
  const counts = { workflowTasks: 0, activityTasks: 0, eagerActivities: 0, emptyPolls: 0, errors: 0 };

  const completeActivity = async (task: ws.IPollActivityTaskQueueResponse): Promise<void> => {
    counts.activityTasks++;
    await svc.respondActivityTaskCompleted({ namespace, taskToken: task.taskToken, identity: IDENTITY, result: task.input ?? { payloads: [] } });
  };

  const answerWorkflowTask = async (task: ws.IPollWorkflowTaskQueueResponse): Promise<void> => {
    counts.workflowTasks++;
    const events = task.history?.events ?? [];
    const completed = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const commands: temporal.api.command.v1.ICommand[] = completed
      ? [
          {
            commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            completeWorkflowExecutionCommandAttributes: { result: completed.activityTaskCompletedEventAttributes?.result ?? null },
          },
        ]
      : events.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        ? [] // the activity is still running: nothing new to decide
        : [
            {
              commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
              scheduleActivityTaskCommandAttributes: {
                activityId: '1',
                activityType: { name: 'noop' },
                taskQueue,
                input: started?.workflowExecutionStartedEventAttributes?.input ?? null,
                startToCloseTimeout: msToDuration(10_000),
                requestEagerExecution: true,
              },
            },
          ];
    const resp = await svc.respondWorkflowTaskCompleted({ namespace, taskToken: task.taskToken, identity: IDENTITY, commands });
    for (const a of resp.activityTasks ?? []) {
      counts.eagerActivities++;
      await completeActivity(a);
    }
  };

  const loop = async (poll: () => Promise<void>): Promise<void> => {
    while (!stopping) {
      try {
        await poll();
      } catch (err) {
        if (stopping) return;
        counts.errors++;
        if (counts.errors <= 3) console.error(err);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const pollWorkflow = async (): Promise<void> => {
    const t = await svc.pollWorkflowTaskQueue({ namespace, taskQueue, identity: IDENTITY });
    if (!t.taskToken?.length) counts.emptyPolls++;
    else await answerWorkflowTask(t);
  };
  const pollActivity = async (): Promise<void> => {
    const t = await svc.pollActivityTaskQueue({ namespace, taskQueue, identity: IDENTITY });
    if (!t.taskToken?.length) counts.emptyPolls++;
    else await completeActivity(t);
  };

  // enough pollers that a poll is always waiting when the server has a task (as the SDK's slots)
  const pollers = Number(process.env.BENCH_RAW_POLLERS ?? Math.max(8, Math.min(256, o.concurrency)));
  const loops = [...Array.from({ length: pollers }, () => loop(pollWorkflow)), ...Array.from({ length: Math.max(4, pollers >> 2) }, () => loop(pollActivity))];
  process.stdout.write('READY\n');
  process.on('SIGTERM', () => {
    stopping = true;
    process.stdout.write(`COUNTS ${JSON.stringify(counts)}\n`);
    void connection.close().finally(() => process.exit(0));
  });
  await Promise.all(loops);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
