/**
 * The simulation's memory across an upgrade: every workflow the server acknowledged is appended to a
 * JSON-lines file with the result it must end with, and every outcome after it. A later run (after
 * the server was upgraded) reads the file and checks the workflows that were still open. A check
 * reads the file strictly (`readForCheck`): a missing or empty file, or one with nothing left open,
 * is an error, so that a typo in the path can never pass as a clean check.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
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

export type StateEntries = Map<string, { started: StartedRecord; outcome?: OutcomeRecord }>;

/** A state file that a check cannot use; nothing was started or checked. */
export class StateFileError extends Error {
  override name = 'StateFileError';
}

/** What a check found in its state file before it started waiting. */
export interface CheckPlan {
  readonly entries: StateEntries;
  /** workflows without an outcome: the ones the check waits for */
  readonly open: number;
  /** workflows whose outcome an earlier run recorded, by outcome */
  readonly finished: Readonly<Record<OutcomeRecord['outcome'], number>>;
}

export class StateFile {
  constructor(readonly path: string | undefined) {}

  append(r: StateRecord): void {
    if (this.path) appendFileSync(this.path, JSON.stringify(r) + '\n');
  }

  /** Workflows started by earlier runs, with their outcome if one was recorded (none without a file). */
  load(): StateEntries {
    const out: StateEntries = new Map();
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
        throw new StateFileError(`${this.path}:${i + 1} is not a JSON line; the state file is damaged`);
      }
      if (r.type === 'started') out.set(r.workflowId, { started: r });
      else if (r.type === 'outcome') {
        const s = out.get(r.workflowId);
        if (s) s.outcome = r;
      }
    });
    return out;
  }

  /**
   * The state file of a `--check` run: it must exist, hold workflows, and have some left open
   * (without an outcome); otherwise the check would check nothing, so it is refused with the reason.
   */
  readForCheck(): CheckPlan {
    const path = this.path;
    if (!path) throw new StateFileError('--check needs --state-file (the file an earlier simulate run wrote)');
    let isFile: boolean;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new StateFileError(`the state file ${path} does not exist: give --state-file the file an earlier simulate run wrote (check the path)`);
    }
    if (!isFile) throw new StateFileError(`the state file ${path} is not a file: give --state-file the file an earlier simulate run wrote`);
    const entries = this.load();
    if (entries.size === 0) {
      throw new StateFileError(
        `the state file ${path} holds no workflows (it is empty or has no "started" records): it is not the file of a simulate run that started workflows, so there is nothing to check`,
      );
    }
    const finished = { completed: 0, 'wrong-result': 0, failed: 0 };
    for (const e of entries.values()) if (e.outcome) finished[e.outcome.outcome]++;
    const open = entries.size - finished.completed - finished['wrong-result'] - finished.failed;
    if (open === 0) {
      throw new StateFileError(
        `nothing to check: all ${entries.size} workflows of ${path} already have an outcome recorded by the run that started them ` +
          `(${finished.completed} completed, ${finished.failed} failed, ${finished['wrong-result']} with a wrong result). ` +
          'A check after an upgrade needs workflows left open across it: start them with `simulate --leave-open --state-file FILE` before the upgrade.',
      );
    }
    return { entries, open, finished };
  }
}
