/**
 * Every stored format this build writes beyond v1 is covered by an upgrade mechanism: rewritten
 * completely at start (shard metadata) or by the background rewrite, whose completion the next
 * minor's start-up check requires. A kind in neither list could hold rows no later release can read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMAT, READABLE, type FormatKind } from '../../src/persistence/blob';
import { REWRITTEN_AT_START, REWRITTEN_FORMATS } from '../../src/upgrade/data-formats';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { packageVersion } from '../../src/common/package-info';
import { minorLine, mustParseServerVersion } from '../../src/upgrade/server-version';
import { installedRelease, previousMinorRelease, releaseEntries } from '../helpers/releases';

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

test('a release reads the format it writes and the one the previous minor wrote, nothing older', () => {
  const line = minorLine(mustParseServerVersion(packageVersion()));
  const before = releaseEntries().filter((r) => minorLine(mustParseServerVersion(r.version)) < line);
  for (const kind of Object.keys(FORMAT) as FormatKind[]) {
    const blob = kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const previous = before
      .flatMap((r) => r.dataFormats)
      .filter((f) => f.blob === blob)
      .reduce((max, f) => Math.max(max, f.to), 1);
    assert.deepEqual(
      [...READABLE[kind]].sort(),
      [...new Set([previous, FORMAT[kind]])].sort(),
      `${kind}: writes v${FORMAT[kind]}, the previous minor wrote v${previous}`,
    );
  }
});

test('the previous minor (its packed build) reads every format this build writes: in a rolling upgrade it may take over a shard a member of this build wrote', () => {
  const prev = installedRelease(previousMinorRelease(packageVersion()).version);
  // its blob module moved between releases: the one under dist/src/persistence that exports READABLE
  const root = join(prev.dir, 'dist', 'src', 'persistence');
  const file = (readdirSync(root, { recursive: true }) as string[]).find((f) => basename(f) === 'blob.js');
  assert.ok(file, `${prev.version} has no blob.js under ${root}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const old = require(join(root, file)) as { READABLE: Record<string, readonly number[]> };
  assert.ok(old.READABLE, `${join(root, file)} exports no READABLE`);
  for (const kind of Object.keys(FORMAT) as FormatKind[]) {
    assert.ok(
      (old.READABLE[kind] ?? [1]).includes(FORMAT[kind]),
      `${kind}: this build writes v${FORMAT[kind]}, which ${prev.version} does not read (it reads ${String(old.READABLE[kind])}); a new format is first made readable by one minor and written by the next`,
    );
  }
});
