/** Plain records of the history service's interface (index.ts) that no single API module owns. */
import type { temporal } from '../common/proto';

/** A workflow execution named within a namespace (Temporal's common.v1.WorkflowExecution); runId '' is the current run. */
export interface WorkflowExecution {
  workflowId: string;
  runId: string;
}

/** RespondWorkflowTaskCompleted's answer. */
export interface WorkflowTaskCompletedOutcome {
  /** set when history failed the workflow task instead (a bad command): why, for the worker */
  failedWith?: { message: string };
  /** activity tasks started for the worker with this completion (eager activity dispatch) */
  activityTasks?: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse[];
}
