import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withWorker } from './harness';

test('execute: start, workflow task, complete, result', async () => {
  await withWorker(async ({ client, taskQueue }) => {
    const result = await client.workflow.execute('greet', { taskQueue, workflowId: `greet-${Date.now()}`, args: ['world'] });
    assert.equal(result, 'hello world');
  });
});
