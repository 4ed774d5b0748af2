/**
 * Every method the frontend serves has Temporal's authorization classification
 * (src/frontend/authorization/api-access.ts): an unclassified one is refused to every caller once
 * authorization is on, so serving a new method without classifying it would lock it away.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { methodAccess } from '../../src/frontend/authorization/api-access';
import { OPERATOR_SERVICE_UNIMPLEMENTED, WORKFLOW_SERVICE_UNIMPLEMENTED } from '../../src/frontend/unimplemented';

test('every served WorkflowService and OperatorService method is classified for authorization', () => {
  const unclassified: string[] = [];
  for (const [label, service, unimplemented] of [
    ['WorkflowService', temporal.api.workflowservice.v1.WorkflowService, WORKFLOW_SERVICE_UNIMPLEMENTED],
    ['OperatorService', temporal.api.operatorservice.v1.OperatorService, OPERATOR_SERVICE_UNIMPLEMENTED],
  ] as const) {
    for (const m of Object.keys((service as unknown as { methods: Record<string, unknown> }).methods)) {
      if (!(m in unimplemented) && !methodAccess(label, m)) unclassified.push(`${label}.${m}`);
    }
  }
  assert.deepEqual(unclassified, []);
});
