/**
 * DeleteWorkflowExecution: a running run is terminated first (as Temporal does), then the run's
 * rows go at once (mutable state, history, its current-execution row when it is the current run, and
 * its visibility record), the same deletion retention performs. Timers and transfer tasks left behind
 * find no execution and are dropped.
 */
import { NotFoundError } from '../../common/errors';
import type { HistoryEngine } from '../engine';
import { isRunning } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';
import { terminateWorkflow } from './cancel-terminate';

export const DELETE_TERMINATE_REASON = 'Delete workflow execution';

export async function deleteWorkflow(engine: HistoryEngine, ref: ExecutionKey, identity: string): Promise<void> {
  const ms = await engine.getMutableState(ref);
  if (isRunning(ms)) {
    try {
      await terminateWorkflow(engine, ref, DELETE_TERMINATE_REASON, undefined, identity || 'history-service');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err; // closed meanwhile: delete it as it is
    }
  }
  await engine.deleteExecution(ref);
}
