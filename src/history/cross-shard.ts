/**
 * The operations a transfer task performs on another execution (start a child, tell a parent its
 * child closed, apply a parent close policy to a child, signal or cancel an external workflow).
 * That execution may live on a shard another process owns, so the transfer handlers reach it
 * through the `CrossShardCalls` port: in one process the engine itself (`localCrossShard`), in a
 * cluster the routing history client, which runs the same local code on the target shard's owner.
 * Every operation is idempotent (request ids derived from the initiating run), as a transfer task
 * may run again.
 */
import { NotFoundError } from '../common/errors';
import { temporal, type IHistoryEvent } from '../common/proto';
import type { ExecutionKey } from '../persistence';
import { requestCancelWorkflow, terminateWorkflow } from './api/cancel-terminate';
import { signalWorkflow } from './api/signal-workflow';
import { startWorkflow, type NamespaceRef } from './api/start-workflow';
import type { HistoryEngine } from './engine';
import type { ParentInfo } from './mutable-state';
import { childMachine, type ChildOutcome } from './state-machines/child';
import { isRunning } from './state-machines/states';

const PCP = temporal.api.enums.v1.ParentClosePolicy;
type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

/** A child's chain ended: what its parent records. */
export interface ClosedChild {
  namespaceId: string;
  workflowId: string;
  firstRunId: string;
  runId: string;
  outcome: ChildOutcome;
  closeEvent: IHistoryEvent;
}

/** A signal or cancel request of one workflow to another. */
export interface ExternalRequest {
  namespaceId: string;
  workflowId: string;
  runId: string;
  /** the target must be a child of `from` */
  childWorkflowOnly: boolean;
  from: ExecutionKey;
  kind: 'signal' | 'cancel';
  requestId: string;
  signal?: { signalName: string; input: temporal.api.common.v1.IPayloads | null | undefined; header: temporal.api.common.v1.IHeader | null | undefined };
}

export interface CrossShardCalls {
  startChild(ns: NamespaceRef, req: StartRequest, parent: ParentInfo): Promise<{ runId: string }>;
  /** NotFound-tolerant: a parent that is gone has nothing to be told */
  childClosed(parent: ExecutionKey, initiatedEventId: number, child: ClosedChild): Promise<void>;
  /** TERMINATE or REQUEST_CANCEL the current run of a child if it is still running and still this parent's */
  applyParentClosePolicy(namespaceId: string, childWorkflowId: string, parent: ExecutionKey, initiatedEventId: number, policy: number): Promise<void>;
  /** Delivers the signal or cancel request; the run id it reached. NotFoundError when there is no such (child) workflow. */
  requestExternal(r: ExternalRequest): Promise<{ runId: string }>;
}

/** The operations run on this process's shards (the engine throws when it does not own the target's shard). */
export function localCrossShard(engine: HistoryEngine): CrossShardCalls {
  return {
    async startChild(ns, req, parent) {
      return startWorkflow(engine, ns, req, undefined, { parent });
    },

    async childClosed(parentRef, initiatedEventId, child) {
      try {
        await engine.update(parentRef, (ctx) => {
          const c = ctx.ms.children?.[String(initiatedEventId)];
          if (!isRunning(ctx.ms) || !c || c.workflowId !== child.workflowId) return;
          // the child may close before its start was recorded in the parent
          if (childMachine.can(c, 'start')) childMachine.fire(ctx, c, 'start', { runId: child.firstRunId, namespaceId: child.namespaceId });
          childMachine.fire(ctx, c, 'close', { outcome: child.outcome, closeEvent: child.closeEvent, namespaceId: child.namespaceId, runId: child.runId });
        });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err; // the parent is gone: nothing to tell
      }
    },

    async applyParentClosePolicy(namespaceId, childWorkflowId, parent, initiatedEventId, policy) {
      try {
        // the child's chain may have moved on (continue-as-new): act on its current run if it is still ours
        const ref = await engine.resolve(namespaceId, childWorkflowId, '');
        const ms = await engine.getMutableState(ref);
        if (!isRunning(ms) || ms.execution.parent?.workflowId !== parent.workflowId) return;
        if (policy === PCP.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
          await requestCancelWorkflow(engine, ref, 'by parent close policy', `parent ${parent.workflowId}`, `${parent.runId}/close/${initiatedEventId}`);
        } else {
          await terminateWorkflow(engine, ref, 'by parent close policy', undefined, `parent ${parent.workflowId}`);
        }
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },

    async requestExternal(r) {
      const target = await engine.resolve(r.namespaceId, r.workflowId, r.runId);
      if (r.childWorkflowOnly) {
        const t = await engine.getMutableState(target);
        if (t.execution.parent?.workflowId !== r.from.workflowId) throw new NotFoundError('not a child of this workflow');
      }
      if (r.kind === 'signal') {
        await signalWorkflow(engine, target, {
          signalName: r.signal?.signalName ?? '',
          input: r.signal?.input,
          header: r.signal?.header,
          identity: `workflow ${r.from.workflowId}`,
          requestId: r.requestId,
        });
      } else {
        await requestCancelWorkflow(engine, target, 'requested by workflow', `workflow ${r.from.workflowId}`, r.requestId);
      }
      return { runId: target.runId };
    },
  };
}
