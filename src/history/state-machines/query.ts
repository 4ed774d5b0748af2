/**
 * A workflow query's lifecycle as a transition table (queries are not durable: this process only):
 *
 *   buffered --attach--> in-task (rides in the workflow task a poller takes) --task-closed--> buffered
 *   buffered --dispatch--> direct (a legacy query task: no workflow task is outstanding)
 *   buffered | in-task | direct --answer--> answered
 *
 * The registry that holds pending queries, and the waiting caller, are api/query-workflow.ts's.
 */
import type { Deferred } from '../../common/async';
import type { temporal } from '../../common/proto';
import type { ExecutionKey } from '../../persistence';
import { StateMachine } from './machine';

type QueryAnswer = temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest;

export type QueryState = 'buffered' | 'in-task' | 'direct' | 'answered';

export interface PendingQuery {
  id: string;
  ref: ExecutionKey;
  query: temporal.api.query.v1.IWorkflowQuery;
  answer: Deferred<QueryAnswer>;
  state: QueryState;
  /** in-task: the started event id of the workflow task it was sent in */
  startedEventId: number;
}

export interface QueryActions {
  attach: { startedEventId: number };
  /** the workflow task it rode in closed without answering (failed, timed out) */
  'task-closed': void;
  dispatch: void;
  answer: { answer: QueryAnswer };
}

export const queryMachine = new StateMachine<QueryState, QueryActions, void, PendingQuery>(
  {
    entity: 'query',
    describe: (_ctx, p) => `query ${p.id} of ${p.ref.workflowId}/${p.ref.runId}`,
    stateOf: (p) => p.state,
    setState: (p, s) => {
      p.state = s;
    },
  },
  (t) => {
    t.on('buffered', 'attach', 'in-task', (_ctx, p, { startedEventId }) => {
      p.startedEventId = startedEventId;
    });
    t.on('in-task', 'task-closed', 'buffered', () => undefined);
    t.on('buffered', 'dispatch', 'direct', () => undefined);
    t.on(['buffered', 'in-task', 'direct'], 'answer', 'answered', (_ctx, p, { answer }) => p.answer.resolve(answer));
  },
);

export function isAnswered(p: PendingQuery): boolean {
  return p.state === 'answered';
}

/** Waiting for a worker to take a legacy query task (as opposed to a workflow task to carry it). */
export function isDispatched(p: PendingQuery): boolean {
  return p.state === 'direct';
}
