/** Task tokens: opaque to workers, they name the exact task attempt ("a task token names the exact attempt"). */
import { InvalidArgumentError } from '../../common/errors';

export interface WorkflowTaskToken {
  k: 'wt';
  ns: string;
  wid: string;
  rid: string;
  sched: number;
  started: number;
  attempt: number;
}

export interface ActivityTaskToken {
  k: 'at';
  ns: string;
  wid: string;
  rid: string;
  sched: number;
  attempt: number;
  aid: string;
}

export interface QueryTaskToken {
  k: 'q';
  id: string;
}

export type TaskToken = WorkflowTaskToken | ActivityTaskToken | QueryTaskToken;

export function encodeToken(t: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(t), 'utf8');
}

export function decodeToken(b: Uint8Array | null | undefined, field = 'taskToken'): TaskToken {
  if (!b || b.length === 0) throw new InvalidArgumentError(field, 'is required');
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(b).toString('utf8'));
  } catch {
    throw new InvalidArgumentError(field, 'is malformed (not a task token issued by this server)');
  }
  if (isToken(t)) return t;
  throw new InvalidArgumentError(field, 'is malformed (not a task token issued by this server)');
}

const str = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const int = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isToken(t: unknown): t is TaskToken {
  if (!t || typeof t !== 'object') return false;
  const o = t as Record<string, unknown>;
  switch (o.k) {
    case 'wt':
      return str(o.ns) && str(o.wid) && str(o.rid) && int(o.sched) && int(o.started) && int(o.attempt);
    case 'at':
      return str(o.ns) && str(o.wid) && str(o.rid) && typeof o.aid === 'string' && int(o.sched) && int(o.attempt);
    case 'q':
      return str(o.id);
    default:
      return false;
  }
}
