/**
 * The README's API coverage table says, for every WorkflowService and OperatorService method of the
 * SDK's proto, whether this server serves it: the table must list every method once, and "yes"
 * exactly for the methods not in src/frontend/unimplemented.ts (a method moved from that list to a
 * handler without its README row, or the other way round, fails here naming it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { OPERATOR_SERVICE_UNIMPLEMENTED, WORKFLOW_SERVICE_UNIMPLEMENTED } from '../../src/frontend/unimplemented';
import { REPO_ROOT } from '../helpers/processes';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The rows of the table under `### <label> RPCs`: method -> "yes" | "no", and the heading's "N of M served". */
function tableOf(label: string): { rows: Map<string, string>; duplicates: string[]; served: number; total: number } {
  const start = README.search(new RegExp(`^### ${label} RPCs \\((\\d+) of (\\d+) served\\)$`, 'm'));
  assert.ok(start >= 0, `README has no "### ${label} RPCs (N of M served)" heading`);
  const heading = /\((\d+) of (\d+) served\)/.exec(README.slice(start))!;
  const rest = README.slice(start).split('\n').slice(1);
  const end = rest.findIndex((l) => /^#{2,3} /.test(l));
  const rows = new Map<string, string>();
  const duplicates: string[] = [];
  for (const line of end >= 0 ? rest.slice(0, end) : rest) {
    const m = /^\| `(\w+)` \| (yes|no) \|/.exec(line);
    if (!m) continue;
    if (rows.has(m[1]!)) duplicates.push(m[1]!);
    rows.set(m[1]!, m[2]!);
  }
  return { rows, duplicates, served: Number(heading[1]), total: Number(heading[2]) };
}

describe('README API coverage table', () => {
  for (const [label, service, unimplemented] of [
    ['WorkflowService', temporal.api.workflowservice.v1.WorkflowService, WORKFLOW_SERVICE_UNIMPLEMENTED],
    ['OperatorService', temporal.api.operatorservice.v1.OperatorService, OPERATOR_SERVICE_UNIMPLEMENTED],
  ] as const) {
    test(`${label}: every method once, served exactly when not listed as unimplemented`, () => {
      const methods = Object.keys((service as unknown as { methods: Record<string, unknown> }).methods);
      const t = tableOf(label);
      assert.deepEqual(t.duplicates, [], 'methods listed twice');
      assert.deepEqual(
        methods.filter((m) => !t.rows.has(m)),
        [],
        'methods missing from the README table',
      );
      assert.deepEqual(
        [...t.rows.keys()].filter((m) => !methods.includes(m)),
        [],
        'README rows that are not methods of the service',
      );
      const wrong = methods.filter((m) => (t.rows.get(m) === 'yes') !== !(m in unimplemented));
      assert.deepEqual(wrong, [], 'README rows whose "served" disagrees with src/frontend/unimplemented.ts');
      const served = methods.filter((m) => !(m in unimplemented)).length;
      assert.deepEqual([t.served, t.total], [served, methods.length], 'the heading\'s "N of M served"');
    });
  }
});
