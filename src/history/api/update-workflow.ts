/**
 * Workflow updates: UpdateWorkflowExecution, PollWorkflowExecutionUpdate and the protocol messages
 * of workflow tasks.
 *
 * Lifecycle: admitted (in memory only, like Temporal: a client retries its request after a server
 * restart) -> delivered as a message `<updateId>/request` in the next workflow task -> the worker
 * answers with an Acceptance (WorkflowExecutionUpdateAccepted event, durable), then a Response
 * (WorkflowExecutionUpdateCompleted with the outcome), or with a Rejection (no events: the outcome
 * lives in memory). An update id is deduplicated: a known id never runs twice; its request waits for
 * (or returns) the first one's outcome.
 */
import { NotFoundError } from '../../common/errors';
import { temporal } from '../../common/proto';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import type { MutableState } from '../mutable-state';
import { isRunning } from '../state-machines/states';
import { isDurable, isUndelivered, updateMachine, updateStatus, type AdmittedUpdate, type UpdateHandle, type UpdateStatus } from '../state-machines/update';
import type { ExecutionKey } from '../../persistence';

export type { UpdateStatus } from '../state-machines/update';

const upd = temporal.api.update.v1;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
type IRequest = temporal.api.update.v1.IRequest;
type IMessage = temporal.api.protocol.v1.IMessage;

const TYPE_PREFIX = 'type.googleapis.com/';
const REJECTION_MEMORY_MS = 10 * 60_000;

/** Admitted updates per execution (this process only). */
const registries = new WeakMap<HistoryEngine, Map<string, Map<string, AdmittedUpdate>>>();

function admittedOf(engine: HistoryEngine, ref: ExecutionKey, create: boolean): Map<string, AdmittedUpdate> | undefined {
  let byRun = registries.get(engine);
  if (!byRun) registries.set(engine, (byRun = new Map()));
  const k = `${ref.namespaceId}/${ref.workflowId}/${ref.runId}`;
  let m = byRun.get(k);
  if (!m && create) byRun.set(k, (m = new Map()));
  return m;
}

/** An update id of a run. Only an admission registers the run's registry (a read leaves no trace). */
function handle(engine: HistoryEngine, ref: ExecutionKey, ms: MutableState, updateId: string, forAdmission = false): UpdateHandle {
  return { ms, updateId, admitted: admittedOf(engine, ref, forAdmission) ?? new Map() };
}

/** Wait until the update reaches `wanted` or the time is up; answers the stage reached. */
async function waitForStage(
  engine: HistoryEngine,
  ref: ExecutionKey,
  updateId: string,
  wanted: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<UpdateStatus> {
  const deadline = Date.now() + timeoutMs;
  const watch = engine.watchChanges(ref); // before the first read: no commit in between is missed
  try {
    for (;;) {
      const ms = await engine.getMutableState(ref);
      const st = updateStatus(handle(engine, ref, ms, updateId), isRunning(ms));
      if (!st) {
        if (!isRunning(ms)) throw new NotFoundError('workflow execution already completed', ref);
        throw new NotFoundError(`update ${updateId} not found`, ref);
      }
      const left = deadline - Date.now();
      if (st.stage >= wanted || left <= 0 || signal?.aborted) return st;
      await watch.wait(left, signal);
    }
  } finally {
    watch.close();
  }
}

export async function updateWorkflow(
  engine: HistoryEngine,
  ref: ExecutionKey,
  request: IRequest,
  wantedStage: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<UpdateStatus> {
  const updateId = request.meta!.updateId!;
  await engine.update(ref, (ctx) => {
    const h = handle(engine, ref, ctx.ms, updateId, true);
    // durable: same id, same outcome; admitted (or rejected): wait for the first request's outcome
    if (!updateMachine.can(h, 'admit')) return;
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    updateMachine.fire(ctx, h, 'admit', { request });
  });
  const wanted = Math.max(wantedStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
  return waitForStage(engine, ref, updateId, wanted, timeoutMs, signal);
}

export async function pollWorkflowUpdate(
  engine: HistoryEngine,
  ref: ExecutionKey,
  updateId: string,
  wantedStage: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<UpdateStatus> {
  const wanted = wantedStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
  return waitForStage(engine, ref, updateId, wanted, timeoutMs, signal);
}

// ---------------------------------------------------------------- workflow task side
/** The admitted updates of the run, each as a handle on the change's mutable state. */
function admittedHandles(engine: HistoryEngine, ctx: MutationContext): UpdateHandle[] {
  const admitted = admittedOf(engine, ctx.ref, false);
  return admitted ? [...admitted.keys()].map((id) => ({ ms: ctx.ms, updateId: id, admitted })) : [];
}

/** The request messages for the workflow task being started now (inside its engine.update). */
export function messagesForStartedTask(engine: HistoryEngine, ctx: MutationContext, startedEventId: number): IMessage[] {
  const out: IMessage[] = [];
  for (const h of admittedHandles(engine, ctx)) {
    if (!updateMachine.can(h, 'deliver')) continue;
    const a = h.admitted.get(h.updateId)!;
    // redeliver when the task it went out in never completed (failed or timed out)
    if (a.deliveredInStartedEventId !== 0 && ctx.ms.execution.lastCompletedWorkflowTaskStartedEventId >= a.deliveredInStartedEventId) continue;
    updateMachine.fire(ctx, h, 'deliver', { startedEventId });
    out.push({
      id: `${a.updateId}/request`,
      protocolInstanceId: a.updateId,
      eventId: (startedEventId - 1) as never,
      body: {
        type_url: `${TYPE_PREFIX}temporal.api.update.v1.Request`,
        value: upd.Request.encode(upd.Request.fromObject(a.request as object)).finish(),
      } as never,
    });
  }
  return out;
}

/** True when an admitted update still waits for delivery (a new workflow task is needed). */
export function hasUndeliveredUpdates(engine: HistoryEngine, ctx: MutationContext): boolean {
  return admittedHandles(engine, ctx).some(isUndelivered);
}

function unpack(msg: IMessage): { kind: 'acceptance' | 'response' | 'rejection' | 'unknown'; body: Uint8Array } {
  const any = msg.body as { type_url?: string; typeUrl?: string; value?: Uint8Array } | null | undefined;
  const url = any?.type_url ?? any?.typeUrl ?? '';
  const body = any?.value ?? new Uint8Array();
  if (url.endsWith('temporal.api.update.v1.Acceptance')) return { kind: 'acceptance', body };
  if (url.endsWith('temporal.api.update.v1.Response')) return { kind: 'response', body };
  if (url.endsWith('temporal.api.update.v1.Rejection')) return { kind: 'rejection', body };
  return { kind: 'unknown', body };
}

/**
 * Apply one protocol message of RespondWorkflowTaskCompleted (in command order when a
 * ProtocolMessage command names it). A message the update's state does not take (a repeat, an
 * update never admitted here) is ignored.
 */
export function applyProtocolMessage(engine: HistoryEngine, ctx: MutationContext, msg: IMessage): void {
  const { kind, body } = unpack(msg);
  if (kind === 'acceptance') {
    const a = upd.Acceptance.decode(body);
    const h = handle(engine, ctx.ref, ctx.ms, msg.protocolInstanceId || a.acceptedRequest?.meta?.updateId || '');
    if (h.updateId && updateMachine.can(h, 'accept')) updateMachine.fire(ctx, h, 'accept', { acceptance: a });
    return;
  }
  if (kind === 'response') {
    const r = upd.Response.decode(body);
    const h = handle(engine, ctx.ref, ctx.ms, r.meta?.updateId || msg.protocolInstanceId || '');
    if (updateMachine.can(h, 'complete')) updateMachine.fire(ctx, h, 'complete', { response: r });
    return;
  }
  if (kind === 'rejection') {
    const r = upd.Rejection.decode(body);
    const h = handle(engine, ctx.ref, ctx.ms, msg.protocolInstanceId || r.rejectedRequest?.meta?.updateId || '');
    if (updateMachine.can(h, 'reject')) updateMachine.fire(ctx, h, 'reject', { rejection: r, forgetAfterMs: REJECTION_MEMORY_MS });
  }
}

/** Admitted updates of a run that closed can never be delivered: forget them (rejections are kept a while). */
export function forgetAdmittedUpdates(engine: HistoryEngine, ctx: MutationContext): void {
  for (const h of admittedHandles(engine, ctx)) {
    if (updateMachine.can(h, 'forget')) updateMachine.fire(ctx, h, 'forget');
    // the request copy of an accepted update: its state is durable, the copy is of no more use
    else if (isDurable(h)) h.admitted.delete(h.updateId);
  }
}
