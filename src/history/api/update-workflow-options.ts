/**
 * UpdateWorkflowExecutionOptions: the fields of WorkflowExecutionOptions the update mask names are
 * replaced (an unset field in the mask clears it) and the run's options are answered. This server
 * keeps and reports the options (DescribeWorkflowExecution: priority, versioningInfo); it has no
 * worker versioning and no priority matching, so a versioning override or a priority changes where
 * and when nothing runs. Unlike Temporal it writes no WorkflowExecutionOptionsUpdated event: the
 * TypeScript SDK 1.24's core fails every later workflow task of the run on that event ("not a
 * non-stateful event"), and the event would tell the worker of a change that has no effect here.
 */
import { InvalidArgumentError, NotFoundError } from '../../common/errors';
import { api, fromB64, msToTimestamp, toB64, type temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import { isRunning } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';

type Options = temporal.api.workflow.v1.IWorkflowExecutionOptions;
const WorkflowExecutionOptions = api.workflow.v1.WorkflowExecutionOptions;

/** The mask paths this server knows, in both spellings a client may send. */
const FIELDS: Record<string, 'versioningOverride' | 'priority'> = {
  versioning_override: 'versioningOverride',
  versioningOverride: 'versioningOverride',
  priority: 'priority',
};

export function maskedFields(paths: readonly string[]): ('versioningOverride' | 'priority')[] {
  if (paths.length === 0) throw new InvalidArgumentError('updateMask', 'is required: name the options to change (versioning_override, priority)');
  return paths.map((p) => {
    const f = FIELDS[p];
    if (!f) throw new InvalidArgumentError('updateMask', `path "${p}" is not an option this server can change (versioning_override, priority)`);
    return f;
  });
}

export function currentOptions(b64: string | undefined): Options {
  return b64 ? WorkflowExecutionOptions.toObject(fromB64(WorkflowExecutionOptions, b64)) : {};
}

export async function updateWorkflowOptions(
  engine: HistoryEngine,
  ref: ExecutionKey,
  options: Options,
  paths: readonly string[],
  identity: string,
): Promise<temporal.api.workflowservice.v1.IUpdateWorkflowExecutionOptionsResponse> {
  const fields = maskedFields(paths);
  return engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    const next: Options = { ...currentOptions(ctx.ms.execution.executionOptionsB64) };
    for (const f of fields) {
      if (options[f]) next[f] = options[f] as never;
      else delete next[f];
    }
    ctx.ms.execution.executionOptionsB64 = toB64(WorkflowExecutionOptions, next);
    ctx.touch();
    engine.log.info({ workflowId: ref.workflowId, runId: ref.runId, identity, fields }, 'workflow execution options updated');
    return { workflowExecutionOptions: next, updateTime: msToTimestamp(ctx.nowMs) };
  });
}
