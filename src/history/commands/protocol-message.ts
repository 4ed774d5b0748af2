/**
 * ProtocolMessage: applies, in command order, the protocol message it names (an update's acceptance,
 * response or rejection; api/update-workflow.ts). Messages no command names are applied before the commands.
 */
import { temporal } from '../../common/proto';
import { defineCommand } from './command';

export const protocolMessage = defineCommand<temporal.api.command.v1.IProtocolMessageCommandAttributes>({
  attributes: (c) => c.protocolMessageCommandAttributes,
  badAttributesCause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
  apply(x, a) {
    x.applyMessage(a.messageId ?? '');
  },
});
