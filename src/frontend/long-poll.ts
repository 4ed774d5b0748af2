/**
 * The signal a long poll waits on: the call's own (client cancel, server stop), and one that fires
 * a second before the client's deadline, so the poll answers (empty, or a history page with its
 * token) while the client still listens, instead of the client seeing DEADLINE_EXCEEDED. Temporal's
 * matching keeps the same one-second budget for returning an empty task.
 */
import type { RequestContext } from './rpc';

/** Time kept back from the client's deadline to send the empty answer. */
export const LONG_POLL_ANSWER_BUDGET_MS = 1000;

export function longPollSignal(ctx: RequestContext): AbortSignal {
  if (ctx.deadlineMs === undefined) return ctx.signal;
  const budget = ctx.deadlineMs - Date.now() - LONG_POLL_ANSWER_BUDGET_MS;
  if (budget <= 0) return AbortSignal.abort();
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(budget)]);
}
