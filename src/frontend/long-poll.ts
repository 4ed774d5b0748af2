/**
 * The signal a long poll waits on: the call's own (client cancel, server stop), and one that fires
 * a second before the client's deadline, so the poll answers (empty, or a history page with its
 * token) while the client still listens, instead of the client seeing DEADLINE_EXCEEDED. Temporal's
 * matching keeps the same one-second budget for returning an empty task.
 */
import type { RequestContext } from './rpc';

/** Time kept back from the client's deadline to send the empty answer. */
export const LONG_POLL_ANSWER_BUDGET_MS = 1000;

/**
 * Runs `poll` with that signal. One controller and one timer, both released when the poll ends:
 * AbortSignal.any + AbortSignal.timeout per poll left a timer and a dependent signal alive until the
 * deadline and showed in the server's CPU profile.
 */
export async function withLongPollSignal<T>(ctx: RequestContext, poll: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (ctx.deadlineMs === undefined) return poll(ctx.signal);
  const budget = ctx.deadlineMs - Date.now() - LONG_POLL_ANSWER_BUDGET_MS;
  if (budget <= 0 || ctx.signal.aborted) return poll(AbortSignal.abort(ctx.signal.reason));
  const ctl = new AbortController();
  const onCallAbort = (): void => ctl.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onCallAbort, { once: true });
  const timer = setTimeout(() => ctl.abort(new DOMException('long poll answer time reached', 'TimeoutError')), budget);
  try {
    return await poll(ctl.signal);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onCallAbort);
  }
}
