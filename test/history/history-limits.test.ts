/**
 * The history warn limit logs when a run's history goes past it and past each further multiple of
 * it, not on every change (a run with 50,000 signals logged 40,000 identical warnings); the error
 * limit still terminates the run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../src/common/logger';
import { msToDuration } from '../../src/common/proto';
import { newRunContext } from '../../src/history/api/start-workflow';
import { DEFAULT_LIMITS, enforceHistoryLimits, HISTORY_COUNT_EXCEEDED, historyFootprint, type Limits } from '../../src/history/limits';
import { isRunning } from '../../src/history/state-machines/states';

const limits: Limits = { ...DEFAULT_LIMITS, historyCountLimitWarn: 10, historyCountLimitError: 45, historySizeLimitWarn: 1_000_000 };

function run() {
  return newRunContext(
    { id: 'ns-id', name: 'default' },
    { workflowId: 'wf', workflowType: { name: 'Wf' }, taskQueue: { name: 'tq' }, workflowRunTimeout: msToDuration(3_600_000) },
    'request-1',
    'run-1',
  );
}

function recordingLog(): { log: Logger; warnings: { historyCount: number; msg: string }[] } {
  const warnings: { historyCount: number; msg: string }[] = [];
  const log = { warn: (o: { historyCount: number }, msg: string) => warnings.push({ historyCount: o.historyCount, msg }) } as unknown as Logger;
  return { log, warnings };
}

describe('history limits', () => {
  test('the warn limit logs once per multiple of the limit crossed, with the count', () => {
    const ctx = run();
    const { log, warnings } = recordingLog();
    // one event more per change, as signals add them, from 1 to 40 events
    for (let n = 2; n <= 40; n++) {
      const before = historyFootprint(ctx.ms);
      ctx.ms.nextEventId = n + 1;
      assert.equal(enforceHistoryLimits(ctx, limits, log, before), undefined, `${n} events is under the error limit`);
    }
    assert.deepEqual(
      warnings.map((w) => w.historyCount),
      [11, 21, 31],
      'past 10, past 20, past 30: three warnings for 39 changes',
    );
    assert.ok(warnings.every((w) => w.msg === 'workflow history exceeds the warn limit'));
  });

  test('a change that jumps several multiples logs once; one that stays between them logs nothing', () => {
    const ctx = run();
    const { log, warnings } = recordingLog();
    let before = historyFootprint(ctx.ms);
    ctx.ms.nextEventId = 36; // 35 events
    enforceHistoryLimits(ctx, limits, log, before);
    before = historyFootprint(ctx.ms);
    ctx.ms.nextEventId = 39;
    enforceHistoryLimits(ctx, limits, log, before);
    assert.deepEqual(
      warnings.map((w) => w.historyCount),
      [35],
    );
  });

  test('the size warn limit follows the same rule', () => {
    const ctx = run();
    const { log, warnings } = recordingLog();
    for (const size of [500_000, 1_000_001, 1_500_000, 1_900_000, 2_000_001]) {
      const before = historyFootprint(ctx.ms);
      ctx.ms.historySizeBytes = size;
      enforceHistoryLimits(ctx, limits, log, before);
    }
    assert.equal(warnings.length, 2, 'past 1 MB and past 2 MB');
  });

  test('over the error limit the run is terminated and the reason returned', () => {
    const ctx = run();
    const { log } = recordingLog();
    const before = historyFootprint(ctx.ms);
    ctx.ms.nextEventId = 47;
    assert.equal(enforceHistoryLimits(ctx, limits, log, before), HISTORY_COUNT_EXCEEDED);
    assert.equal(isRunning(ctx.ms), false);
  });
});
