import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { nextCronTimeMs, parseGoDuration } from '../../src/history/cron';
import { withWorker } from './harness';
import { ENGINES, engineAvailability } from '../helpers/databases';

const id = (p: string) => `${p}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

test('cron parser: fields, lists, ranges, steps, names, descriptors, day-of-month OR day-of-week', () => {
  const from = at('2024-01-15T10:17:30Z'); // a Monday
  assert.equal(iso(nextCronTimeMs('* * * * *', from)), '2024-01-15T10:18:00.000Z');
  assert.equal(iso(nextCronTimeMs('*/15 * * * *', from)), '2024-01-15T10:30:00.000Z');
  assert.equal(iso(nextCronTimeMs('5,20 * * * *', from)), '2024-01-15T10:20:00.000Z');
  assert.equal(iso(nextCronTimeMs('0 9-17/4 * * *', from)), '2024-01-15T13:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('0 0 1 * *', from)), '2024-02-01T00:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('30 2 * FEB *', from)), '2024-02-01T02:30:00.000Z');
  assert.equal(iso(nextCronTimeMs('0 12 * * SAT', from)), '2024-01-20T12:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('0 12 * * 7', from)), '2024-01-21T12:00:00.000Z'); // 7 = Sunday
  assert.equal(iso(nextCronTimeMs('0 0 29 2 *', from)), '2024-02-29T00:00:00.000Z');
  // both restricted: either matches (the 20th or any Wednesday)
  assert.equal(iso(nextCronTimeMs('0 0 20 * WED', from)), '2024-01-17T00:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('@hourly', from)), '2024-01-15T11:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('@daily', from)), '2024-01-16T00:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('@weekly', from)), '2024-01-21T00:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('@yearly', from)), '2025-01-01T00:00:00.000Z');
  assert.equal(iso(nextCronTimeMs('CRON_TZ=UTC 0 0 * * *', from)), '2024-01-16T00:00:00.000Z');
  assert.equal(nextCronTimeMs('@every 90s', from), from + 90_000);
  assert.equal(parseGoDuration('1h2m3s500ms'), 3_723_500);
  // exactly on a firing time: the next one
  assert.equal(iso(nextCronTimeMs('0 * * * *', at('2024-01-15T10:00:00Z'))), '2024-01-15T11:00:00.000Z');
  for (const bad of [
    '',
    '* * * *',
    '60 * * * *',
    '* 24 * * *',
    '* * 0 * *',
    '* * * 13 *',
    '* * * * 8',
    '5-1 * * * *',
    '*/0 * * * *',
    'x * * * *',
    '@sometimes',
    '@every 1ms',
    'CRON_TZ=Europe/Paris * * * * *',
    '0 0 30 2 *',
  ]) {
    assert.throws(() => nextCronTimeMs(bad, from), Error, bad);
  }
});

for (const plugin of ENGINES) {
  describe(plugin, async () => {
    const skip = await engineAvailability(plugin);

    test('cron workflows: the next run at the next cron time, last result handed on, the client follows', { skip }, async () => {
      await withWorker(plugin, async ({ client, taskQueue }) => {
        const h = await client.workflow.start('cronTick', { taskQueue, workflowId: id('cron'), cronSchedule: '@every 1s' });
        // the first run waits for the first cron time
        const first = (await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId).fetchHistory()).events![0]!;
        assert.ok(first.workflowExecutionStartedEventAttributes!.firstWorkflowTaskBackoff);
        // wait for three runs
        const deadline = Date.now() + 15_000;
        let runs: string[] = [h.firstExecutionRunId];
        for (;;) {
          const hist = (await client.workflow.getHandle(h.workflowId, runs[runs.length - 1]).fetchHistory()).events!;
          const close = hist[hist.length - 1]!;
          const next = close.workflowExecutionCompletedEventAttributes?.newExecutionRunId;
          if (next) runs = [...runs, next];
          if (runs.length >= 3) break;
          assert.ok(Date.now() < deadline, `only ${runs.length} cron runs`);
          await new Promise((r) => setTimeout(r, 300));
        }
        const third = (await client.workflow.getHandle(h.workflowId, runs[2]).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
        assert.equal(third.firstExecutionRunId, h.firstExecutionRunId);
        assert.equal(Number(third.initiator), 3); // CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE
        assert.equal(third.cronSchedule, '@every 1s');
        // the second run returned 2: its result is the third run's last completion result
        assert.ok(third.lastCompletionResult?.payloads?.length);
        // terminating the current run ends the chain; the first handle's result() followed it there
        await client.workflow.getHandle(h.workflowId).terminate('enough');
        await assert.rejects(h.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof TerminatedFailure);
        // a bad schedule is INVALID_ARGUMENT naming the field
        await assert.rejects(
          client.workflow.start('cronTick', { taskQueue, workflowId: id('badcron'), cronSchedule: '* * *' }),
          (err: Error & { cause?: { details?: string } }) => /cronSchedule/.test(`${err.message} ${err.cause?.details ?? ''}`),
        );
      });
    });
  });
}
