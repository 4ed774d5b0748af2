/**
 * The one registry of workflow task commands: command type -> definition (checks, payload limit,
 * application). Every command type of the API has an entry, either a definition or an explicit
 * `unsupported` (a new command type in @temporalio/proto is a compile error here until it gets one).
 * A command type the API does not know is refused as Temporal does: INVALID_ARGUMENT, nothing applied.
 */
import { InvalidArgumentError } from '../../common/errors';
import { temporal } from '../../common/proto';
import { isRunning } from '../state-machines/states';
import { requestCancelActivityTask, scheduleActivityTask } from './activity';
import { startChildWorkflowExecution } from './child';
import {
  BadCommandError,
  unsupported,
  type ApplyContext,
  type Command,
  type CommandDefinition,
  type UnsupportedCommand,
  type ValidationScope,
} from './command';
import { requestCancelExternalWorkflowExecution, signalExternalWorkflowExecution } from './external';
import { protocolMessage } from './protocol-message';
import { cancelTimer, startTimer } from './timer';
import { cancelWorkflowExecution, completeWorkflowExecution, continueAsNewWorkflowExecution, failWorkflowExecution } from './workflow-close';
import { modifyWorkflowProperties, recordMarker, upsertWorkflowSearchAttributes } from './workflow-properties';
import type { MutableState } from '../mutable-state';

const CT = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

export type CommandTypeName = Exclude<keyof typeof CT, 'COMMAND_TYPE_UNSPECIFIED'>;

export const COMMANDS: { readonly [K in CommandTypeName]: CommandDefinition | UnsupportedCommand } = {
  COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: scheduleActivityTask,
  COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: requestCancelActivityTask,
  COMMAND_TYPE_START_TIMER: startTimer,
  COMMAND_TYPE_CANCEL_TIMER: cancelTimer,
  COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: completeWorkflowExecution,
  COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: failWorkflowExecution,
  COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: cancelWorkflowExecution,
  COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: continueAsNewWorkflowExecution,
  COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: startChildWorkflowExecution,
  COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: signalExternalWorkflowExecution,
  COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: requestCancelExternalWorkflowExecution,
  COMMAND_TYPE_RECORD_MARKER: recordMarker,
  COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: upsertWorkflowSearchAttributes,
  COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: modifyWorkflowProperties,
  COMMAND_TYPE_PROTOCOL_MESSAGE: protocolMessage,
  COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION: unsupported('Nexus operations'),
  COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION: unsupported('Nexus operations'),
};

function typeName(c: Command): CommandTypeName | undefined {
  const name = CT[Number(c.commandType)] as keyof typeof CT | undefined;
  return name && name !== 'COMMAND_TYPE_UNSPECIFIED' ? name : undefined;
}

/** The definition of a command, or throws: INVALID_ARGUMENT for a type the API does not know, BadCommandError for one we do not implement. */
function definitionOf(c: Command): CommandDefinition {
  const name = typeName(c);
  if (!name) throw new InvalidArgumentError('commands', `Unknown command type: ${String(c.commandType)}`);
  const d = COMMANDS[name];
  if (!d.supported) {
    throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED, `${name} is not supported by this server: ${d.feature} are not implemented`);
  }
  return d;
}

export function isCloseCommand(c: Command): boolean {
  const name = typeName(c);
  const d = name ? COMMANDS[name] : undefined;
  return !!d?.supported && d.closesWorkflow;
}

/** Check every command before applying any: throws BadCommandError (or INVALID_ARGUMENT for an unknown type). */
export function validateCommands(ms: MutableState, commands: Command[]): void {
  const scope: ValidationScope = {
    ms,
    activityIds: new Set(Object.values(ms.activities).map((a) => a.activityId)),
    cancelRequestedActivities: new Set(),
    timerIds: new Set(Object.keys(ms.timers)),
    canceledTimers: new Set(),
  };
  commands.forEach((c, i) => {
    const d = definitionOf(c);
    if (d.closesWorkflow && i !== commands.length - 1) {
      throw new BadCommandError(
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES,
        'a workflow completion command must be the last command',
      );
    }
    d.validate(c, scope);
  });
}

/** The size-limited payloads of the batch, in command order, each with the cause its command fails with. */
export function limitedPayloads(commands: Command[]): { field: string; kind: 'blob' | 'memo'; size: number; cause: number }[] {
  const out: { field: string; kind: 'blob' | 'memo'; size: number; cause: number }[] = [];
  for (const c of commands) {
    const d = definitionOf(c);
    const p = d.payload(c);
    if (p) out.push({ ...p, cause: d.badAttributesCause });
  }
  return out;
}

/** Apply a validated batch in order; stops after a command that closed the run. */
export function applyCommands(x: ApplyContext, commands: Command[]): void {
  for (const c of commands) {
    definitionOf(c).apply(x, c);
    if (!isRunning(x.ctx.ms)) return;
  }
}
