/**
 * The simulation's memory across an upgrade: every workflow the server acknowledged is appended to a
 * JSON-lines file with the result it must end with, and every outcome after it. A later run (after
 * the server was upgraded) reads the file and checks the workflows that were still open.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { SimPlan } from './expected';

export interface StartedRecord extends SimPlan {
  readonly type: 'started';
  readonly workflowId: string;
  readonly runId: string;
  readonly expected: number;
  readonly startedAtMs: number;
}

export interface OutcomeRecord {
  readonly type: 'outcome';
  readonly workflowId: string;
  readonly outcome: 'completed' | 'wrong-result' | 'failed';
  readonly result?: unknown;
  readonly error?: string;
  readonly latencyMs: number;
}

export type StateRecord = StartedRecord | OutcomeRecord;

export class StateFile {
  constructor(readonly path: string | undefined) {}

  append(r: StateRecord): void {
    if (this.path) appendFileSync(this.path, JSON.stringify(r) + '\n');
  }

  /** Workflows started by earlier runs, with their outcome if one was recorded. */
  load(): Map<string, { started: StartedRecord; outcome?: OutcomeRecord }> {
    const out = new Map<string, { started: StartedRecord; outcome?: OutcomeRecord }>();
    if (!this.path || !existsSync(this.path)) return out;
    const lines = readFileSync(this.path, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let r: StateRecord;
      try {
        r = JSON.parse(line) as StateRecord;
      } catch {
        // A run killed mid-write leaves a torn last line; anything else is damage.
        if (i >= lines.length - 2) return;
        throw new Error(`${this.path}:${i + 1} is not a JSON line; the state file is damaged`);
      }
      if (r.type === 'started') out.set(r.workflowId, { started: r });
      else if (r.type === 'outcome') {
        const s = out.get(r.workflowId);
        if (s) s.outcome = r;
      }
    });
    return out;
  }
}
