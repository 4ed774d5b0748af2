/**
 * GetWorkflowExecutionHistory: full or paged, and the long poll for the close event
 * (waitNewEvent + HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT answers exactly one event, or none on timeout).
 * A page is read from the batch holding its first event on (the next page token carries that
 * event's id), so its cost does not depend on where it is in the history; the close event is read
 * from its own batch only.
 */
import { InvalidArgumentError } from '../../common/errors';
import { temporal } from '../../common/proto';
import type { ChangeWatch, HistoryEngine } from '../engine';
import { encodedHistory } from '../encoded-history';
import { isRunning } from '../state-machines/states';
import type { ExecutionKey } from '../../persistence';

type Request = temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest;
type Response = temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
const CLOSE_EVENT = temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
/** Events per page when the request names no size. */
const DEFAULT_PAGE_SIZE = 1000;

interface PageToken {
  runId: string;
  nextEventId: number;
}

export function decodePageToken(b: Uint8Array | null | undefined): PageToken | undefined {
  if (!b || b.length === 0) return undefined;
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(b).toString('utf8'));
  } catch {
    throw new InvalidArgumentError('nextPageToken', 'is malformed (not a page token issued by this server)');
  }
  const o = t as Partial<PageToken> | null;
  if (!o || typeof o !== 'object' || typeof o.runId !== 'string' || typeof o.nextEventId !== 'number' || !(o.nextEventId >= 0)) {
    throw new InvalidArgumentError('nextPageToken', 'is malformed (not a page token issued by this server)');
  }
  return o as PageToken;
}

export async function getWorkflowHistory(
  engine: HistoryEngine,
  ref: ExecutionKey,
  req: Request,
  longPollTimeoutMs: number,
  signal?: AbortSignal,
): Promise<Response> {
  const token = decodePageToken(req.nextPageToken);
  if (token?.runId) ref = { ...ref, runId: token.runId };
  const deadline = Date.now() + longPollTimeoutMs;

  // subscribed before the first read, so a commit between a read and the wait still wakes the poll
  const watch = engine.watchChanges(ref);
  try {
    return await readOrWait(engine, ref, req, token, deadline, watch, signal);
  } finally {
    watch.close();
  }
}

async function readOrWait(
  engine: HistoryEngine,
  ref: ExecutionKey,
  req: Request,
  token: PageToken | undefined,
  deadline: number,
  watch: ChangeWatch,
  signal?: AbortSignal,
): Promise<Response> {
  if (req.historyEventFilterType === CLOSE_EVENT) {
    for (;;) {
      const ms = await engine.peekMutableState(ref);
      if (!isRunning(ms)) {
        // only the batch that holds the close event is read
        const id = ms.execution.completionEventId;
        if (id <= 0) return { history: { events: [] } };
        return { history: encodedHistory((await engine.readEncodedHistoryFrom(ref, id, id + 1, 1)).bytes) };
      }
      const left = deadline - Date.now();
      if (!req.waitNewEvent || left <= 0 || signal?.aborted) {
        return { history: { events: [] }, nextPageToken: req.waitNewEvent ? pageToken(ref.runId, 0) : undefined };
      }
      await watch.wait(left, signal);
    }
  }

  const from = Math.max(1, token?.nextEventId ?? 1);
  const pageSize = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE_SIZE;
  for (;;) {
    const ms = await engine.peekMutableState(ref);
    const left = deadline - Date.now();
    // nothing after `from` yet: a long poll waits without reading history
    if (from >= ms.nextEventId && req.waitNewEvent && isRunning(ms) && left > 0 && !signal?.aborted) {
      await watch.wait(left, signal);
      continue;
    }
    // the stored events go out as they are stored (encoded-history.ts)
    const page = await engine.readEncodedHistoryFrom(ref, from, ms.nextEventId, pageSize);
    const nextId = page.count > 0 ? page.lastEventId + 1 : from;
    const needToken = page.more || (req.waitNewEvent && isRunning(ms));
    return { history: encodedHistory(page.bytes), nextPageToken: needToken ? pageToken(ref.runId, nextId) : undefined };
  }
}

function pageToken(runId: string, nextEventId: number): Buffer {
  return Buffer.from(JSON.stringify({ runId, nextEventId } satisfies PageToken), 'utf8');
}
