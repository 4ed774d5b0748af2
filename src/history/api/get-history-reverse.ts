/**
 * GetWorkflowExecutionHistoryReverse: the run's events newest first, a page at a time (Temporal's
 * "tail" view of a history: the Web UI and `temporal workflow show --reverse` read it). The page
 * token names the run and the id of the next (older) event to return.
 */
import { InvalidArgumentError } from '../../common/errors';
import { num, type temporal } from '../../common/proto';
import type { HistoryEngine } from '../engine';
import type { ExecutionKey } from '../../persistence';

type Request = temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryReverseRequest;
type Response = temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryReverseResponse;

interface ReversePageToken {
  runId: string;
  /** the newest event id the next page starts at */
  lastEventId: number;
}

export function decodeReversePageToken(b: Uint8Array | null | undefined): ReversePageToken | undefined {
  if (!b || b.length === 0) return undefined;
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(b).toString('utf8'));
  } catch {
    t = undefined;
  }
  const o = t as Partial<ReversePageToken> | undefined;
  if (!o || typeof o !== 'object' || typeof o.runId !== 'string' || typeof o.lastEventId !== 'number' || !(o.lastEventId >= 1)) {
    throw new InvalidArgumentError('nextPageToken', 'is malformed (not a reverse history page token issued by this server)');
  }
  return o as ReversePageToken;
}

export async function getWorkflowHistoryReverse(engine: HistoryEngine, ref: ExecutionKey, req: Request): Promise<Response> {
  const token = decodeReversePageToken(req.nextPageToken);
  if (token) ref = { ...ref, runId: token.runId };
  const pageSize = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
  const all = await engine.readHistory(ref);
  const upTo = token?.lastEventId ?? Number.MAX_SAFE_INTEGER;
  const newestFirst = all.filter((e) => num(e.eventId) <= upTo).reverse();
  const page = newestFirst.slice(0, pageSize);
  const oldest = page.length > 0 ? num(page[page.length - 1]!.eventId) : 1;
  const more = newestFirst.length > pageSize && oldest > 1;
  const next: ReversePageToken = { runId: ref.runId, lastEventId: oldest - 1 };
  return { history: { events: page }, nextPageToken: more ? Buffer.from(JSON.stringify(next), 'utf8') : undefined };
}
