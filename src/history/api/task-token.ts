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
  try {
    const t = JSON.parse(Buffer.from(b).toString('utf8')) as TaskToken;
    if (t && (t.k === 'wt' || t.k === 'at' || t.k === 'q')) return t;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(field, 'is malformed');
}
