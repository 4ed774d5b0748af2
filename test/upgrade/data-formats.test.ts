/**
 * Every stored format this build writes beyond v1 is covered by an upgrade mechanism: rewritten
 * completely at start (shard metadata) or by the background rewrite, whose completion the next
 * minor's start-up check requires. A kind in neither list could hold rows no later release can read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMAT, READABLE, type FormatKind } from '../../src/persistence/blob';
import { REWRITTEN_AT_START, REWRITTEN_FORMATS } from '../../src/upgrade/data-formats';

test('every format beyond v1 is rewritten at start or in the background', () => {
  for (const kind of Object.keys(FORMAT) as FormatKind[]) {
    if (FORMAT[kind] === 1 && Math.min(...READABLE[kind]) === 1) continue;
    const background = REWRITTEN_FORMATS.find((f) => f.kind === kind);
    assert.ok(REWRITTEN_AT_START.includes(kind) || background, `${kind} is at v${FORMAT[kind]} but neither rewritten at start nor in the background`);
    if (background) {
      assert.equal(background.target, FORMAT[kind], `${kind}: the background rewrite targets the format this build writes`);
      assert.deepEqual(background.readable, READABLE[kind], `${kind}: the start-up check uses what this build reads`);
    }
  }
});

test('a release reads its own format and the one before it', () => {
  for (const kind of Object.keys(FORMAT) as FormatKind[]) {
    assert.ok(READABLE[kind].includes(FORMAT[kind]), `${kind}: reads what it writes`);
    if (FORMAT[kind] > 1) assert.ok(READABLE[kind].includes(FORMAT[kind] - 1), `${kind}: reads the previous minor's v${FORMAT[kind] - 1}`);
  }
});
