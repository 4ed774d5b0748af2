/**
 * ResetStickyTaskQueue: the run forgets the sticky queue of the worker that completed its last
 * workflow task, so the next task goes to the normal queue with the full history (a worker that lost
 * its cache, or an operator draining a worker).
 */
import { NotFoundError } from '../../common/errors';
import type { HistoryEngine } from '../engine';
import { isRunning } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';

export async function resetStickyTaskQueue(engine: HistoryEngine, ref: ExecutionKey): Promise<void> {
  await engine.update(ref, (ctx) => {
    if (!isRunning(ctx.ms)) throw new NotFoundError('workflow execution already completed', ref);
    if (ctx.ms.execution.stickyTaskQueue === undefined) return;
    ctx.ms.execution.stickyTaskQueue = undefined;
    ctx.touch();
  });
}
