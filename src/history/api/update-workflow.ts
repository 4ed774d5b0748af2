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
import { fromB64, num, temporal, toB64 } from '../../common/proto';
import type { MutationContext } from '../context';
import type { HistoryEngine } from '../engine';
import { isRunning, type MutableState } from '../mutable-state';
import type { ExecutionKey } from '../../persistence';

const upd = temporal.api.update.v1;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
type IRequest = temporal.api.update.v1.IRequest;
type IOutcome = temporal.api.update.v1.IOutcome;
type IMessage = temporal.api.protocol.v1.IMessage;

const TYPE_PREFIX = 'type.googleapis.com/';
const REJECTION_MEMORY_MS = 10 * 60_000;

interface AdmittedUpdate {
  updateId: string;
  request: IRequest;
  /** started event id of the workflow task it was delivered in; 0 = not delivered yet */
  deliveredInStartedEventId: number;
  /** set when the worker rejected it (in memory only: a rejection writes no events) */
  rejection: IOutcome | undefined;
}

/** Admitted updates per execution (this process only). */
const registries = new WeakMap<HistoryEngine, Map<string, Map<string, AdmittedUpdate>>>();

function admittedOf(engine: HistoryEngine, ref: ExecutionKey, create: true): Map<string, AdmittedUpdate>;
function admittedOf(engine: HistoryEngine, ref: ExecutionKey, create?: false): Map<string, AdmittedUpdate> | undefined;
function admittedOf(engine: HistoryEngine, ref: ExecutionKey, create = false): Map<string, AdmittedUpdate> | undefined {
  let byRun = registries.get(engine);
  if (!byRun) registries.set(engine, (byRun = new Map()));
  const k = `${ref.namespaceId}/${ref.workflowId}/${ref.runId}`;
  let m = byRun.get(k);
  if (!m && create) byRun.set(k, (m = new Map()));
  return m;
}

export interface UpdateStatus {
  stage: number;
  outcome: IOutcome | undefined;
}

function statusOf(engine: HistoryEngine, ref: ExecutionKey, ms: MutableState, updateId: string): UpdateStatus | undefined {
  const durable = ms.updates?.[updateId];
  if (durable?.state === 'completed') {
    return {
      stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      outcome: durable.outcomeB64 ? fromB64(upd.Outcome, durable.outcomeB64) : undefined,
    };
  }
  if (durable) return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, outcome: undefined };
  const a = admittedOf(engine, ref)?.get(updateId);
  if (a?.rejection) return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: a.rejection };
  if (a && isRunning(ms)) return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED, outcome: undefined };
  return undefined;
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
      const st = statusOf(engine, ref, ms, updateId);
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
    if (ctx.ms.updates?.[updateId]) return; // durable: same id, same outcome
    const admitted = admittedOf(engine, ref, true);
    if (admitted.has(updateId)) return; // in flight: wait for the first request's outcome
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    admitted.set(updateId, { updateId, request, deliveredInStartedEventId: 0, rejection: undefined });
    // a started task delivers nothing new: workflow-task.ts schedules the next one when it completes
    ctx.scheduleWorkflowTask();
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
/** The request messages for the workflow task being started now (inside its engine.update). */
export function messagesForStartedTask(engine: HistoryEngine, ctx: MutationContext, startedEventId: number): IMessage[] {
  const admitted = admittedOf(engine, ctx.ref);
  if (!admitted) return [];
  const out: IMessage[] = [];
  for (const a of admitted.values()) {
    if (a.rejection || ctx.ms.updates?.[a.updateId]) continue;
    // redeliver when the task it went out in never completed (failed or timed out)
    if (a.deliveredInStartedEventId !== 0 && ctx.ms.execution.lastCompletedWorkflowTaskStartedEventId >= a.deliveredInStartedEventId) continue;
    a.deliveredInStartedEventId = startedEventId;
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
  const admitted = admittedOf(engine, ctx.ref);
  if (!admitted) return false;
  for (const a of admitted.values()) {
    if (!a.rejection && !ctx.ms.updates?.[a.updateId] && a.deliveredInStartedEventId === 0) return true;
  }
  return false;
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
 * ProtocolMessage command names it). `completedEventId` is the WorkflowTaskCompleted event.
 */
export function applyProtocolMessage(engine: HistoryEngine, ctx: MutationContext, msg: IMessage): void {
  const { kind, body } = unpack(msg);
  const ms = ctx.ms;
  if (kind === 'acceptance') {
    const a = upd.Acceptance.decode(body);
    const updateId = msg.protocolInstanceId || a.acceptedRequest?.meta?.updateId || '';
    if (!updateId || ms.updates?.[updateId]) return;
    const request = a.acceptedRequest ?? admittedOf(engine, ctx.ref)?.get(updateId)?.request;
    const ev = ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED', {
      protocolInstanceId: updateId,
      acceptedRequestMessageId: a.acceptedRequestMessageId || `${updateId}/request`,
      acceptedRequestSequencingEventId: a.acceptedRequestSequencingEventId,
      acceptedRequest: request,
    })!;
    (ms.updates ??= {})[updateId] = { state: 'accepted', acceptedEventId: num(ev.eventId), completedEventId: 0, outcomeB64: undefined };
    return;
  }
  if (kind === 'response') {
    const r = upd.Response.decode(body);
    const updateId = r.meta?.updateId || msg.protocolInstanceId || '';
    const u = ms.updates?.[updateId];
    if (!u || u.state !== 'accepted') return; // unknown or already completed: nothing to write
    const ev = ctx.addEvent('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED', {
      meta: r.meta ?? { updateId },
      acceptedEventId: u.acceptedEventId,
      outcome: r.outcome,
    })!;
    u.state = 'completed';
    u.completedEventId = num(ev.eventId);
    u.outcomeB64 = toB64(upd.Outcome, r.outcome ?? {});
    admittedOf(engine, ctx.ref)?.delete(updateId);
    return;
  }
  if (kind === 'rejection') {
    const r = upd.Rejection.decode(body);
    const updateId = msg.protocolInstanceId || r.rejectedRequest?.meta?.updateId || '';
    const a = admittedOf(engine, ctx.ref)?.get(updateId);
    if (!a || ms.updates?.[updateId]) return;
    a.rejection = { failure: r.failure };
    setTimeout(() => admittedOf(engine, ctx.ref)?.delete(updateId), REJECTION_MEMORY_MS).unref();
  }
}

/** Admitted updates of a run that closed can never be delivered: forget them. */
export function forgetAdmittedUpdates(engine: HistoryEngine, ref: ExecutionKey): void {
  const admitted = admittedOf(engine, ref);
  if (!admitted) return;
  for (const [id, a] of admitted) if (!a.rejection) admitted.delete(id);
}
