/**
 * A workflow update's lifecycle as a transition table:
 *
 *   none --admit--> admitted --deliver--> admitted (sent in a workflow task, again if that task failed)
 *   admitted | none --accept--> accepted --complete--> completed
 *   admitted --reject--> rejected;  admitted --forget--> none (the run closed before it was delivered)
 *
 * Admitted and rejected updates live in memory only, like Temporal's (a client retries its request
 * after a server restart); accepted and completed ones are durable (WorkflowExecutionUpdateAccepted /
 * Completed, `ms.updates`). `none --accept`: an acceptance this process never admitted (after a
 * restart) carries the request itself. The registry of admitted updates is api/update-workflow.ts's.
 */
import { fromB64, num, temporal, toB64 } from '../../common/proto';
import type { MutationContext } from '../context';
import type { MutableState } from '../mutable-state';
import { StateMachine } from './machine';
import { scheduleWorkflowTask } from './workflow-task';

const upd = temporal.api.update.v1;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
type IRequest = temporal.api.update.v1.IRequest;
type IOutcome = temporal.api.update.v1.IOutcome;

export type UpdateState = 'none' | 'admitted' | 'rejected' | 'accepted' | 'completed';

/** An update this process admitted and that is not durable yet. */
export interface AdmittedUpdate {
  updateId: string;
  request: IRequest;
  /** started event id of the workflow task it was delivered in; 0 = not delivered yet */
  deliveredInStartedEventId: number;
  /** set when the worker rejected it (in memory only: a rejection writes no events) */
  rejection: IOutcome | undefined;
}

/** One update id of one run: its durable record (ms.updates) and its in-memory admission, if any. */
export interface UpdateHandle {
  ms: MutableState;
  updateId: string;
  /** the run's admitted updates (this process) */
  admitted: Map<string, AdmittedUpdate>;
}

export interface UpdateActions {
  admit: { request: IRequest };
  deliver: { startedEventId: number };
  accept: { acceptance: temporal.api.update.v1.IAcceptance };
  complete: { response: temporal.api.update.v1.IResponse };
  reject: { rejection: temporal.api.update.v1.IRejection; forgetAfterMs: number };
  forget: void;
}

export const updateMachine = new StateMachine<UpdateState, UpdateActions, MutationContext, UpdateHandle>(
  {
    entity: 'update',
    describe: (_ctx, h) => `update ${h.updateId} of ${h.ms.execution.workflowId}/${h.ms.execution.runId}`,
    stateOf: updateStateOf,
    setState: (h, s) => {
      // admitted / rejected / none are where the admission record says; the durable ones are stored
      const durable = h.ms.updates[h.updateId];
      if (durable && (s === 'accepted' || s === 'completed')) durable.state = s;
    },
  },
  (t) => {
    t.on('none', 'admit', 'admitted', (ctx, h, { request }) => {
      h.admitted.set(h.updateId, { updateId: h.updateId, request, deliveredInStartedEventId: 0, rejection: undefined });
      // a started task delivers nothing new: its completion schedules the next one
      scheduleWorkflowTask(ctx);
    });
    t.on('admitted', 'deliver', 'admitted', (_ctx, h, { startedEventId }) => {
      h.admitted.get(h.updateId)!.deliveredInStartedEventId = startedEventId;
    });
    t.on(['none', 'admitted'], 'accept', 'accepted', accept);
    t.on('accepted', 'complete', 'completed', complete);
    t.on('admitted', 'reject', 'rejected', (_ctx, h, { rejection, forgetAfterMs }) => {
      h.admitted.get(h.updateId)!.rejection = { failure: rejection.failure };
      const { admitted, updateId } = h;
      // the rejection is the outcome a retried request gets, for a while
      setTimeout(() => admitted.delete(updateId), forgetAfterMs).unref();
    });
    t.on('admitted', 'forget', 'none', (_ctx, h) => {
      h.admitted.delete(h.updateId);
    });
  },
);

export function updateStateOf(h: UpdateHandle): UpdateState {
  const durable = h.ms.updates?.[h.updateId];
  if (durable) return durable.state;
  const a = h.admitted.get(h.updateId);
  if (!a) return 'none';
  return a.rejection ? 'rejected' : 'admitted';
}

/** Accepted or completed: recorded in the mutable state (and in history). */
export function isDurable(h: UpdateHandle): boolean {
  return h.ms.updates?.[h.updateId] !== undefined;
}

/** Admitted and not sent in any workflow task yet: a new workflow task is needed. */
export function isUndelivered(h: UpdateHandle): boolean {
  return updateStateOf(h) === 'admitted' && h.admitted.get(h.updateId)!.deliveredInStartedEventId === 0;
}

export interface UpdateStatus {
  /** enums.v1.UpdateWorkflowExecutionLifecycleStage */
  stage: number;
  outcome: IOutcome | undefined;
}

/** The lifecycle stage a caller sees, or undefined when the id is unknown (or was admitted by a run that closed). */
export function updateStatus(h: UpdateHandle, runOpen: boolean): UpdateStatus | undefined {
  switch (updateStateOf(h)) {
    case 'completed': {
      const b64 = h.ms.updates[h.updateId]!.outcomeB64;
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: b64 ? fromB64(upd.Outcome, b64) : undefined };
    }
    case 'accepted':
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, outcome: undefined };
    case 'rejected':
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: h.admitted.get(h.updateId)!.rejection };
    case 'admitted':
      return runOpen ? { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED, outcome: undefined } : undefined;
    case 'none':
      return undefined;
  }
}

function accept(ctx: MutationContext, h: UpdateHandle, { acceptance: a }: UpdateActions['accept']): void {
  const request = a.acceptedRequest ?? h.admitted.get(h.updateId)?.request;
  const ev = ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED', {
    protocolInstanceId: h.updateId,
    acceptedRequestMessageId: a.acceptedRequestMessageId || `${h.updateId}/request`,
    acceptedRequestSequencingEventId: a.acceptedRequestSequencingEventId,
    acceptedRequest: request,
  })!;
  (h.ms.updates ??= {})[h.updateId] = { state: 'accepted', acceptedEventId: num(ev.eventId), completedEventId: 0, outcomeB64: undefined };
}

function complete(ctx: MutationContext, h: UpdateHandle, { response: r }: UpdateActions['complete']): void {
  const u = h.ms.updates[h.updateId]!;
  const ev = ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED', {
    meta: r.meta ?? { updateId: h.updateId },
    acceptedEventId: u.acceptedEventId,
    outcome: r.outcome,
  })!;
  u.completedEventId = num(ev.eventId);
  u.outcomeB64 = toB64(upd.Outcome, r.outcome ?? {});
  h.admitted.delete(h.updateId);
}
