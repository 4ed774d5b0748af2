/**
 * The checks StartWorkflowExecution, SignalWithStartWorkflowExecution and update-with-start's start
 * operation share: ids and names, timeouts, id reuse and conflict policies (and their combinations),
 * retry policy, cron schedule, payload sizes. Moved here from history: none needs workflow state.
 */
import { InvalidArgumentError } from '../../common/errors';
import { durationMs, temporal } from '../../common/proto';
import { blobLimitSentence, blobVerdict, memoSize, nextCronTimeMs, payloadsSize, type Limits } from '../../history';
import { checkBlob, maxLength, notNegative, requireName } from './fields';

type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest & { signalInput?: temporal.api.common.v1.IPayloads | null };
const ReusePolicy = temporal.api.enums.v1.WorkflowIdReusePolicy;
const ConflictPolicy = temporal.api.enums.v1.WorkflowIdConflictPolicy;

const enumOk = (e: Record<string, unknown>, v: unknown): boolean => v === null || v === undefined || typeof e[Number(v) as unknown as string] === 'string';

export function validateStartRequest(req: StartRequest, limits: Limits, kind: 'start' | 'signal-with-start' = 'start'): void {
  requireName(req.workflowId, 'workflowId');
  requireName(req.workflowType?.name, 'workflowType.name');
  requireName(req.taskQueue?.name, 'taskQueue.name');
  for (const f of ['workflowExecutionTimeout', 'workflowRunTimeout', 'workflowTaskTimeout', 'workflowStartDelay'] as const) notNegative(req[f], f);
  maxLength(req.requestId, 'requestId', 255);
  if (!enumOk(ReusePolicy as unknown as Record<string, unknown>, req.workflowIdReusePolicy)) {
    throw new InvalidArgumentError('workflowIdReusePolicy', `${String(req.workflowIdReusePolicy)} is not a valid WorkflowIdReusePolicy`);
  }
  if (!enumOk(ConflictPolicy as unknown as Record<string, unknown>, req.workflowIdConflictPolicy)) {
    throw new InvalidArgumentError('workflowIdConflictPolicy', `${String(req.workflowIdConflictPolicy)} is not a valid WorkflowIdConflictPolicy`);
  }
  const reuse = Number(req.workflowIdReusePolicy ?? 0);
  const conflict = Number(req.workflowIdConflictPolicy ?? 0);
  if (kind === 'signal-with-start' && conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
    throw new InvalidArgumentError('workflowIdConflictPolicy', 'WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported for SignalWithStartWorkflowExecution');
  }
  if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING && conflict !== ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED) {
    throw new InvalidArgumentError(
      'workflowIdReusePolicy',
      'WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a workflowIdConflictPolicy',
    );
  }
  if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE && conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
    throw new InvalidArgumentError(
      'workflowIdReusePolicy',
      'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE cannot be used together with workflowIdConflictPolicy WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING',
    );
  }
  validateRetryPolicy(req.retryPolicy, 'retryPolicy');
  if (req.cronSchedule) {
    try {
      nextCronTimeMs(req.cronSchedule, Date.now());
    } catch (err) {
      throw new InvalidArgumentError('cronSchedule', err instanceof Error ? err.message : String(err));
    }
    if (durationMs(req.workflowStartDelay) > 0) throw new InvalidArgumentError('workflowStartDelay', 'cannot be used with cronSchedule');
  }
  checkBlob('input', payloadsSize(req.input), limits);
  if (kind === 'signal-with-start') checkBlob('signalInput', payloadsSize(req.signalInput), limits);
  const m = memoSize(req.memo);
  if (blobVerdict(m, limits, 'memo') === 'error') throw new InvalidArgumentError('memo', blobLimitSentence(m, limits, 'memo'));
}

export function validateRetryPolicy(p: temporal.api.common.v1.IRetryPolicy | null | undefined, field: string): void {
  if (!p) return;
  notNegative(p.initialInterval, `${field}.initialInterval`);
  notNegative(p.maximumInterval, `${field}.maximumInterval`);
  if (p.backoffCoefficient !== null && p.backoffCoefficient !== undefined && p.backoffCoefficient !== 0 && p.backoffCoefficient < 1) {
    throw new InvalidArgumentError(`${field}.backoffCoefficient`, 'must be 1 or larger');
  }
  if ((p.maximumAttempts ?? 0) < 0) throw new InvalidArgumentError(`${field}.maximumAttempts`, 'must not be negative');
  const max = durationMs(p.maximumInterval);
  if (max > 0 && max < durationMs(p.initialInterval)) throw new InvalidArgumentError(`${field}.maximumInterval`, 'must not be less than initialInterval');
}
